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
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '\\' || r == ':' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isOurStatusLine reports a statusLine value that runs cco statusline:
// the one this binary writes, or any cco's.
func isOurStatusLine(raw json.RawMessage) bool {
	var v statusLineValue
	if json.Unmarshal(raw, &v) != nil || v.Type != "command" {
		return false
	}
	if v == statusLineSetting() {
		return true
	}
	f := strings.Fields(v.Command)
	if len(f) < 2 || f[len(f)-1] != "statusline" {
		return false
	}
	bin := strings.Trim(strings.Join(f[:len(f)-1], " "), `'"`)
	// The file written on one system may be read on another: split on
	// either separator.
	name := bin[strings.LastIndexAny(bin, `/\`)+1:]
	return strings.TrimSuffix(name, ".exe") == "cco"
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
		switch {
		case have == want:
			return doc, nil
		case !isOurStatusLine(o.Members[i].Value) && !force:
			return nil, fmt.Errorf("%s already has a statusLine that is not cco's (%s); run 'cco statusline --install --force' to replace it", path, compact(o.Members[i].Value))
		}
		return o.Replace(doc, i, want)
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
// edit changes, and writes it atomically (through a link to it, which is
// how dotfile repositories keep it). A file changed meanwhile (Claude Code
// writes it too) is re-read and edited again rather than overwritten.
func editSettings(path string, edit func(doc []byte, o jsonedit.Object) ([]byte, error)) (changed bool, err error) {
	for attempt := 0; ; attempt++ {
		target, err := filepath.EvalSymlinks(path)
		missing := errors.Is(err, fs.ErrNotExist)
		if missing {
			target = path
		} else if err != nil {
			return false, fmt.Errorf("reading Claude Code's settings: %w", err)
		}
		var doc []byte
		perm := os.FileMode(0o644)
		if !missing {
			if doc, err = platform.ReadRegular(target, maxSettings, platform.NoFollow); err != nil {
				return false, fmt.Errorf("reading Claude Code's settings: %w", err)
			}
			if fi, err := os.Stat(target); err == nil {
				perm = fi.Mode().Perm()
			}
		}
		orig := doc
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
		if bytes.Equal(out, orig) || (missing && bytes.Equal(out, doc)) {
			return false, nil
		}
		if missing {
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return false, fmt.Errorf("creating Claude Code's settings directory: %w", err)
			}
		} else if now, err := platform.ReadRegular(target, maxSettings, platform.NoFollow); err != nil || !bytes.Equal(now, orig) {
			if attempt < 3 {
				continue
			}
			return false, fmt.Errorf("%s keeps changing while cco edits it; try again when Claude Code is idle", target)
		}
		return true, platform.WriteFileAtomic(target, out, perm)
	}
}
