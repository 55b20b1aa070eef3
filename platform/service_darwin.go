package platform

import "os"

// NewServiceManager returns the launchd manager for the user's GUI domain.
func NewServiceManager(o ServiceOptions) (ServiceManager, error) {
	return &Launchd{
		Dir:      LaunchAgentsDir(o.Home),
		Settings: o.Settings,
		Runner:   o.runner(),
		UID:      os.Getuid(),
	}, nil
}
