package platform

import (
	"os"
	"os/user"
)

// NewServiceManager returns the systemd user manager on Linux.
func NewServiceManager(o ServiceOptions) (ServiceManager, error) {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return &Systemd{
		Dir:       SystemdUserUnitDir(o.Home, o.XDGConfigHome),
		Settings:  o.Settings,
		Runner:    o.runner(),
		LingerDir: "/var/lib/systemd/linger",
		User:      name,
	}, nil
}
