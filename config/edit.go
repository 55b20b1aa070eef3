package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/anthropics/cco/platform"
)

// Set writes KEY = VALUE into the [daemon] table of file. The value is
// checked first and the whole resulting file is validated before it
// replaces the old one atomically, so a bad value leaves the file unchanged.
// Comments and the order of other lines are kept.
func Set(file, name, value string) error {
	k, ok := LookupKey(name)
	if !ok {
		return &Error{Where: "config set", Key: name, Msg: "unknown key", Allowed: KeyNames()}
	}
	lit, err := k.tomlLiteral(value)
	if err != nil {
		return &Error{Where: "config set", Key: k.Name, Msg: err.Error(), Allowed: k.Allowed}
	}
	return edit(file, func(lines []string) []string { return setLine(lines, k.Name, lit) })
}

// Unset removes KEY from the file so that its default (or env) applies.
func Unset(file, name string) error {
	k, ok := LookupKey(name)
	if !ok {
		return &Error{Where: "config unset", Key: name, Msg: "unknown key", Allowed: KeyNames()}
	}
	return edit(file, func(lines []string) []string { return unsetLine(lines, k.Name) })
}

func edit(file string, change func([]string) []string) error {
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	text := strings.TrimRight(string(old), "\n")
	var lines []string
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	updated := []byte(strings.Join(change(lines), "\n") + "\n")
	if bytes.Equal(updated, old) {
		return nil
	}
	// Validate what would be written, with the file's own values only.
	if err := validateBytes(file, updated); err != nil {
		return fmt.Errorf("refusing to write %s, it would not be valid: %w", file, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(file), err)
	}
	return platform.WriteFileAtomic(file, updated, 0o600)
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
