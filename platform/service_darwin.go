package platform

import (
	"os"
	"os/user"
	"path/filepath"
)

// NewServiceManager returns the launchd manager for the user's GUI domain.
func NewServiceManager(o ServiceOptions) (ServiceManager, error) {
	// launchd names the plist after its label: the library's Name.
	lib, err := newLib(o.Settings, ServiceLabel)
	if err != nil {
		return nil, err
	}
	// The library writes agents under the account's home directory (from
	// the user database), not $HOME.
	libDir := ""
	if u, err := user.Current(); err == nil {
		libDir = filepath.Join(u.HomeDir, "Library", "LaunchAgents")
	}
	return &Launchd{
		Dir:      LaunchAgentsDir(o.Home),
		Settings: o.Settings,
		Lib:      lib,
		LibDir:   libDir,
		Runner:   o.runner(),
		UID:      os.Getuid(),
	}, nil
}
