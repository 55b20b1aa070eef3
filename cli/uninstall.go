package cli

import (
	"context"
	"fmt"
	"io"
)

const uninstallDetails = `It stops the service, disables its autostart and removes its file. Your
CCO_HOME (config, usage database, logs) is left as it is. When the service is
not installed there is nothing to remove, and that is not an error.`

func cmdUninstall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("uninstall", stdout)
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig("", nil)
	if err != nil {
		return err
	}
	m, err := newServiceManager(cfg, "")
	if err != nil {
		return serviceError(err)
	}
	removed, err := m.Uninstall(ctx)
	if err != nil {
		return serviceError(fmt.Errorf("uninstalling the %s service: %w", m.Kind(), err))
	}
	if removed {
		fmt.Fprintf(stdout, "stopped and removed the %s service: %s\n", m.Kind(), m.Path())
	} else {
		fmt.Fprintf(stdout, "the %s service is not installed; nothing to remove\n", m.Kind())
	}
	return nil
}
