package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/anthropics/cco/platform"
)

// Set writes KEY = VALUE into the [daemon] table of file. The value is
// checked first and the whole resulting file is validated before it
// replaces the old one atomically, so a bad value leaves the file unchanged.
// Comments and the order of other lines are kept. changed is false when the
// file already said so.
func Set(file, name, value string) (changed bool, err error) {
	k, ok := LookupKey(name)
	if !ok {
		return false, UnknownKey("", name)
	}
	lit, err := k.tomlLiteral(value)
	if err != nil {
		return false, &Error{Key: k.Name, Msg: err.Error(), Allowed: k.Allowed}
	}
	return edit(file, true, func(lines []string) []string { return setLine(lines, k.Name, lit) })
}

// Unset removes KEY from the file so that its default (or env) applies.
// changed is false when the file does not set it (or does not exist, in
// which case nothing is created).
func Unset(file, name string) (changed bool, err error) {
	k, ok := LookupKey(name)
	if !ok {
		return false, UnknownKey("", name)
	}
	return edit(file, false, func(lines []string) []string { return unsetLine(lines, k.Name) })
}

// editLockWait bounds the wait for another edit of the same file.
const editLockWait = 10 * time.Second

// edit is one read-modify-write of the config file, serialised with every
// other edit by an exclusive lock on FILE.lock: without it, concurrent sets
// of different keys each read the same old file and the last rename wins,
// losing the others. A link is edited where it points, so the link stays.
func edit(file string, create bool, change func([]string) []string) (bool, error) {
	target, err := editTarget(file)
	if err != nil {
		return false, err
	}
	if !create {
		if _, err := os.Stat(target); errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return false, fmt.Errorf("creating %s: %w", filepath.Dir(target), err)
	}
	lock, err := platform.LockWait(target+".lock", editLockWait)
	if err != nil {
		return false, err
	}
	defer lock.Release()
	old, _, err := readFile(target)
	if err != nil {
		return false, err
	}
	// A byte order mark (Notepad's) stays where it was, out of the lines.
	text := strings.TrimRight(string(old), "\n")
	mark := ""
	if strings.HasPrefix(text, bom) {
		mark, text = bom, strings.TrimPrefix(text, bom)
	}
	var lines []string
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	updated := []byte(mark + strings.Join(change(lines), "\n") + "\n")
	if bytes.Equal(updated, old) || (len(old) == 0 && strings.TrimSpace(string(updated)) == "") {
		return false, nil
	}
	// Validate what would be written, with the file's own values only.
	if err := validateBytes(file, updated); err != nil {
		return false, fmt.Errorf("refusing to write %s, it would not be valid: %w", file, err)
	}
	return true, platform.WriteFileAtomic(target, updated, 0o600)
}

// editTarget is the file an edit replaces: file itself, or what a link at
// file points to (an atomic rename over the link would replace the link).
// Only the user's own files are edited: a link another user planted, or
// one pointing at another user's file, would make cco (perhaps as root)
// rewrite a file its owner never asked it to, and take it over.
func editTarget(file string) (string, error) {
	fi, err := os.Lstat(file)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return file, ownFile(file, fi, err)
	}
	if !platform.OwnedByMe(fi) {
		return "", &Error{Where: file, Msg: "is a link that belongs to " + platform.Owner(fi) + "; cco edits only your own files: remove it"}
	}
	target, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "", &Error{Where: file, Msg: fmt.Sprintf("is a link that cannot be followed: %v", err)}
	}
	tfi, err := os.Stat(target)
	return target, ownFile(target, tfi, err)
}

// ownFile refuses an existing file that is not a regular file, or not the
// user's; a missing one is created.
func ownFile(path string, fi os.FileInfo, statErr error) error {
	if errors.Is(statErr, os.ErrNotExist) {
		return nil
	}
	if statErr != nil {
		return fmt.Errorf("checking %s: %w", path, statErr)
	}
	if err := platform.CheckRegular(path, platform.FollowLinks); err != nil {
		var fe *platform.FileError
		if errors.As(err, &fe) {
			return &Error{Where: path, Msg: strings.TrimPrefix(fe.Error(), path+" ")}
		}
		return err
	}
	if !platform.OwnedByMe(fi) {
		return &Error{Where: path, Msg: "belongs to " + platform.Owner(fi) + "; cco edits only your own files"}
	}
	return nil
}

// validateBytes checks file contents alone: syntax, unknown keys, values.
func validateBytes(file string, data []byte) error {
	v, err := parseFile(file, data)
	if err != nil {
		return err
	}
	errs := unknownKeys(file, v)
	for _, k := range Keys {
		path := "daemon." + k.Name
		if !v.InConfig(path) {
			continue
		}
		if _, err := k.parse(v.Get(path)); err != nil {
			errs = append(errs, &Error{Where: file, Key: path, Msg: err.Error(), Allowed: k.Allowed})
		}
	}
	_, perrs := parsePrices(file, v)
	return errors.Join(append(errs, perrs...)...)
}

var (
	tableRE = regexp.MustCompile(`^\s*\[\s*([^\]]*?)\s*\]`)
)

func keyLineRE(name string) *regexp.Regexp {
	return regexp.MustCompile(`^\s*"?` + regexp.QuoteMeta(name) + `"?\s*=`)
}

// daemonSpan finds the [daemon] table's lines: header index and the index
// one past its last line; header is -1 when the table is absent.
func daemonSpan(lines []string) (header, end int) {
	header, end = -1, len(lines)
	for i, l := range lines {
		m := tableRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if header >= 0 {
			return header, i
		}
		if m[1] == "daemon" {
			header = i
		}
	}
	return header, end
}

func setLine(lines []string, name, lit string) []string {
	newLine := name + " = " + lit
	header, end := daemonSpan(lines)
	if header < 0 {
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		return append(lines, "[daemon]", newLine)
	}
	re := keyLineRE(name)
	last := header
	for i := header + 1; i < end; i++ {
		if re.MatchString(lines[i]) {
			lines[i] = newLine
			return lines
		}
		if strings.TrimSpace(lines[i]) != "" {
			last = i
		}
	}
	out := append([]string{}, lines[:last+1]...)
	out = append(out, newLine)
	return append(out, lines[last+1:]...)
}

func unsetLine(lines []string, name string) []string {
	header, end := daemonSpan(lines)
	if header < 0 {
		return lines
	}
	re := keyLineRE(name)
	out := append([]string{}, lines[:header+1]...)
	for i := header + 1; i < end; i++ {
		if !re.MatchString(lines[i]) {
			out = append(out, lines[i])
		}
	}
	return append(out, lines[end:]...)
}
