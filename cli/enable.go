package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/anthropics/cco/platform"
)

func cmdEnable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m, err := serviceForVerb(ctx, "enable", args, stdout)
	if err != nil {
		return err
	}
	if err := m.Enable(ctx); err != nil {
		return serviceError(err)
	}
	fmt.Fprintf(stdout, "autostart enabled: the %s service starts when you log in\n", m.Kind())
	if st, err := m.Status(ctx); err == nil {
		lingerHint(stdout, st)
	}
	return nil
}

// serviceForVerb parses a verb that takes no arguments and returns the
// service manager, or an error when the service is not installed.
func serviceForVerb(ctx context.Context, verb string, args []string, stdout io.Writer) (platform.ServiceManager, error) {
	fs := newFlags(verb, stdout)
	if err := fs.parse(args); err != nil {
		return nil, err
	}
	cfg, err := loadConfig("", nil)
	if err != nil {
		return nil, err
	}
	m, err := newServiceManager(cfg, "")
	if err != nil {
		return nil, serviceError(err)
	}
	installed, err := m.Installed()
	if err != nil {
		return nil, err
	}
	if !installed {
		return nil, errors.New("the service is not installed; run 'cco install' first")
	}
	return m, nil
}
