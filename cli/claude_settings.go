package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/anthropics/cco/internal/jsonedit"
	"github.com/anthropics/cco/platform"
)

// compact shows a JSON value on one line, bounded, for a message.
func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return "not valid JSON"
	}
	return firstLine(b.String())
}

// maxSettings bounds the settings file read: Claude Code's is a few KiB.
const maxSettings = 4 << 20

// statusLineKey is the settings key of Claude Code's status line.
const statusLineKey = "statusLine"

// claudeSettingsPath is Claude Code's user settings file:
// $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json.
func claudeSettingsPath() (string, error) {
	dir := os.Getenv("CLAUDE_CONFIG_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding Claude Code's settings: %w", err)
		}
		dir = filepath.Join(home, ".claude")
	}
	return filepath.Join(dir, "settings.json"), nil
}

// statusLineValue is a statusLine setting of the command type.
type statusLineValue struct {
	Type    string `json:"type"`
	Command string `json:"command"`
}

// statusLineSetting is cco's statusLine value. The command is "cco
// statusline" when the cco on PATH is this binary, else this binary's
// path, so that Claude Code's /bin/sh finds it.
func statusLineSetting() statusLineValue {
	cmd := "cco statusline"
	self, err := os.Executable()
	if onPath, perr := exec.LookPath("cco"); err == nil && (perr != nil || !sameFile(self, onPath)) {
		cmd = shellQuote(self) + " statusline"
	}
	return statusLineValue{Type: "command", Command: cmd}
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err == nil && err2 == nil && os.SameFile(fa, fb)
}

// shellQuote quotes a path for /bin/sh (Claude Code runs the command
// with it) when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ourCommand is a statusLine command that runs cco statusline and
// nothing else: a cco (a bare name, a plain path or one single-quoted
// path) followed by "statusline". A command that does more (a pipeline,
// a variable set before it) is someone's own, even if it calls cco.
var ourCommand = regexp.MustCompile(`^(?:'[^']*'|[^\s;&|$` + "`" + `'"=<>()*?!#~{}]+) statusline$`)

// isOurStatusLine reports a statusLine value that runs cco statusline:
// the one this binary writes, or any cco's.
func isOurStatusLine(raw json.RawMessage) bool {
	var v statusLineValue
	if json.Unmarshal(raw, &v) != nil || v.Type != "command" {
		return false
	}
	if v.Command == statusLineSetting().Command {
		return true
	}
	if !ourCommand.MatchString(v.Command) {
		return false
	}
	bin := strings.Trim(strings.TrimSuffix(v.Command, " statusline"), "'")
	// The file written on one system may be read on another: split on
	// either separator.
	name := bin[strings.LastIndexAny(bin, `/\`)+1:]
	return strings.TrimSuffix(name, ".exe") == "cco"
}

// setCommand makes a statusLine value cco's, keeping its other keys
// (padding, refreshInterval) as the user set them.
func setCommand(value json.RawMessage, want statusLineValue) ([]byte, error) {
	o, err := jsonedit.Parse(value)
	if err != nil {
		return json.Marshal(want) // not an object: replaced whole
	}
	out := []byte(value)
	for _, kv := range [...][2]string{{"type", want.Type}, {"command", want.Command}} {
		o, err = jsonedit.Parse(out)
		if err != nil {
			return nil, err
		}
		if i := o.Find(kv[0]); i >= 0 {
			if out, err = o.Replace(out, i, kv[1]); err != nil {
				return nil, err
			}
		} else if out, err = o.Insert(out, kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func installStatusLine(stdout io.Writer, force bool) error {
	path, err := claudeSettingsPath()
	if err != nil {
		return err
	}
	want := statusLineSetting()
	changed, err := editSettings(path, func(doc []byte, o jsonedit.Object) ([]byte, error) {
		i := o.Find(statusLineKey)
		if i < 0 {
			return o.Insert(doc, statusLineKey, want)
		}
		var have statusLineValue
		_ = json.Unmarshal(o.Members[i].Value, &have)
		ours := isOurStatusLine(o.Members[i].Value)
		switch {
		case have == want:
			return doc, nil
		case !ours && !force:
			return nil, fmt.Errorf("%s already has a statusLine that is not cco's (%s); run 'cco statusline --install --force' to replace it", path, compact(o.Members[i].Value))
		case !ours:
			fmt.Fprintf(stdout, "Replacing the statusLine that was there: %s\n", compact(o.Members[i].Value))
		}
		v, err := setCommand(o.Members[i].Value, want)
		if err != nil {
			return nil, err
		}
		return o.ReplaceRaw(doc, i, v), nil
	})
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(stdout, "Claude Code's status line is already cco's (%s).\n", path)
		return nil
	}
	fmt.Fprintf(stdout, "Claude Code's status line is now cco's: %s\nIt shows from the next Claude Code session on.\n", path)
	return nil
}

func uninstallStatusLine(stdout io.Writer) error {
	path, err := claudeSettingsPath()
	if err != nil {
		return err
	}
	changed, err := editSettings(path, func(doc []byte, o jsonedit.Object) ([]byte, error) {
		i := o.Find(statusLineKey)
		if i < 0 {
			return doc, nil
		}
		if !isOurStatusLine(o.Members[i].Value) {
			return nil, fmt.Errorf("the statusLine in %s is not cco's (%s); it was left alone", path, compact(o.Members[i].Value))
		}
		return o.Remove(doc, i), nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		changed, err = false, nil
	}
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(stdout, "Claude Code has no cco status line (%s); nothing to remove.\n", path)
		return nil
	}
	fmt.Fprintf(stdout, "Removed cco's status line from %s.\n", path)
	return nil
}

// editSettings applies edit to the settings file, changing only the bytes
// edit changes, and writes it atomically: through a link to it (dotfile
// repositories keep it that way), with its mode and owner. A file changed
// meanwhile (Claude Code writes it too) is re-read and edited again
// rather than overwritten.
func editSettings(path string, edit func(doc []byte, o jsonedit.Object) ([]byte, error)) (changed bool, err error) {
	target, err := linkTarget(path)
	if err != nil {
		return false, fmt.Errorf("reading Claude Code's settings: %w", err)
	}
	for attempt := 0; ; attempt++ {
		fi, err := os.Stat(target)
		missing := errors.Is(err, fs.ErrNotExist)
		switch {
		case err != nil && !missing:
			return false, fmt.Errorf("reading Claude Code's settings: %w", err)
		case !missing && fi.Mode().IsRegular() && fi.Size() > maxSettings:
			return false, fmt.Errorf("%s is %d bytes, far larger than a settings file (cco edits up to %d); check what it is", target, fi.Size(), maxSettings)
		}
		var orig []byte
		perm := os.FileMode(0o644)
		if !missing {
			if orig, err = platform.ReadRegular(target, maxSettings, platform.NoFollow); err != nil {
				return false, fmt.Errorf("reading Claude Code's settings: %w", err)
			}
			perm = fi.Mode().Perm()
		}
		// A byte order mark is kept, but JSON parsers do not take it.
		bom, doc := splitBOM(orig)
		if len(bytes.TrimSpace(doc)) == 0 {
			doc = []byte("{}\n")
		}
		o, err := jsonedit.Parse(doc)
		if err != nil {
			return false, fmt.Errorf("%s is not valid JSON (%v); fix it, then run this again", target, err)
		}
		if o.Count(statusLineKey) > 1 {
			return false, fmt.Errorf("%s has %d statusLine keys; keep one, then run this again", target, o.Count(statusLineKey))
		}
		out, err := edit(doc, o)
		if err != nil {
			return false, err
		}
		out = append(bom, out...)
		if bytes.Equal(out, orig) || (missing && bytes.Equal(out, doc)) {
			return false, nil
		}
		owner := fi
		if missing {
			dir := filepath.Dir(target)
			if owner, err = makeDirLike(dir); err != nil {
				return false, fmt.Errorf("creating Claude Code's settings directory: %w", err)
			}
		} else if now, err := platform.ReadRegular(target, maxSettings, platform.NoFollow); err != nil || !bytes.Equal(now, orig) {
			if attempt < 3 {
				continue
			}
			return false, fmt.Errorf("%s keeps changing while cco edits it; try again when Claude Code is idle", target)
		}
		if err := platform.WriteFileAtomic(target, out, perm); err != nil {
			return false, err
		}
		// Run as root for another user (sudo keeps HOME), the file stays
		// theirs.
		platform.ChownLike(target, owner)
		return true, nil
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func splitBOM(b []byte) (bom, rest []byte) {
	if bytes.HasPrefix(b, utf8BOM) {
		return utf8BOM, b[len(utf8BOM):]
	}
	return nil, b
}

// linkTarget follows symbolic links at path to the file they name, which
// may not exist yet (a dangling link is written through, not replaced).
func linkTarget(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink == 0) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// makeDirLike creates dir (0700) when it is missing, owned like its
// parent, and returns what the new file's owner should be: dir's.
func makeDirLike(dir string) (fs.FileInfo, error) {
	if fi, err := os.Stat(dir); err == nil {
		return fi, nil
	}
	parent, err := os.Stat(filepath.Dir(dir))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	platform.ChownLike(dir, parent)
	return parent, nil
}
