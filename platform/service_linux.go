package platform

import (
	"os"
	"os/user"
	"path/filepath"

	"github.com/kardianos/service"
)

// NewServiceManager returns the systemd user manager on Linux.
func NewServiceManager(o ServiceOptions) (ServiceManager, error) {
	// kardianos/service picks a Linux init system by what it finds (and
	// falls back to writing SysV scripts under /etc): anything but systemd
	// is a machine cco has no per-user service for.
	if sys := service.ChosenSystem(); sys == nil || sys.String() != "linux-systemd" {
		return nil, noManager("systemd is not running here (no /run/systemd/system); run the daemon with 'cco start' instead")
	}
	lib, err := newLib(o.Settings, o.Settings.Name)
	if err != nil {
		return nil, err
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return &Systemd{
		Dir:      SystemdUserUnitDir(o.Home, o.XDGConfigHome),
		Settings: o.Settings,
		Lib:      lib,
		// The library writes user units under os.UserHomeDir(), ignoring
		// XDG_CONFIG_HOME.
		LibDir:    libHomeDir(".config", "systemd", "user"),
		Runner:    o.runner(),
		LingerDir: "/var/lib/systemd/linger",
		User:      name,
	}, nil
}

func libHomeDir(elem ...string) string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(append([]string{home}, elem...)...)
}
