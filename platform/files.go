package platform

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// SystemdUserUnitDir is where a user's own units live: $XDG_CONFIG_HOME
// when it is an absolute path (the XDG rule), else ~/.config.
// kardianos/service ignores XDG_CONFIG_HOME, which would put the unit where
// the user manager does not look.
func SystemdUserUnitDir(home, xdgConfigHome string) string {
	// Slash paths on every OS: systemd's directories are Linux paths,
	// whatever OS the function (or its test) runs on.
	if path.IsAbs(xdgConfigHome) {
		return path.Join(xdgConfigHome, "systemd", "user")
	}
	return path.Join(home, ".config", "systemd", "user")
}

// LaunchAgentsDir is where a user's LaunchAgents live.
func LaunchAgentsDir(home string) string {
	return filepath.Join(home, "Library", "LaunchAgents")
}

// compareFile renders the service file and says how it differs from the
// one at path, without writing anything; want is the rendered file.
func compareFile(path string, render Renderer, s ServiceSettings, facts func([]byte) (map[string]string, error)) (InstallResult, []byte, error) {
	var buf bytes.Buffer
	if err := render(&buf, s); err != nil {
		return InstallResult{}, nil, err
	}
	want := buf.Bytes()
	old, err := os.ReadFile(path)
	var res InstallResult
	switch {
	case errors.Is(err, os.ErrNotExist):
		res.Created = true
	case err != nil:
		return res, nil, fmt.Errorf("reading the installed service file: %w", err)
	case bytes.Equal(old, want):
	default:
		oldFacts, oerr := facts(old)
		newFacts, nerr := facts(want)
		if oerr != nil || nerr != nil {
			res.Changes = []string{"the installed file could not be read back; it is replaced"}
		} else if res.Changes = diffFacts(oldFacts, newFacts); len(res.Changes) == 0 {
			res.Changes = []string{"formatting only"}
		}
	}
	return res, want, nil
}

// fileExists reports whether path exists; other errors are returned.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checking %s: %w", path, err)
	}
	return true, nil
}

// removeFile removes path; a missing file is not an error.
func removeFile(path string) (bool, error) {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("removing %s: %w", path, err)
	}
	return true, nil
}

// fileStatus is a service's status as its unit or plist file at path
// tells it: whether it is installed and, when exe reads the file, the
// program it runs.
func fileStatus(kind, path string, exe func(content []byte) ([]string, error)) (ServiceStatus, error) {
	st := ServiceStatus{Manager: kind, Path: path, Restarts: -1}
	var err error
	if st.Installed, err = fileExists(path); err != nil || !st.Installed {
		return st, err
	}
	if content, err := os.ReadFile(path); err == nil {
		if argv, err := exe(content); err == nil && len(argv) > 0 {
			st.Exe = argv[0]
		}
	}
	return st, nil
}
