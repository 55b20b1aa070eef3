package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/anthropics/cco/platform"
)

func cmdEnable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m, err := serviceVerb(ctx, "enable", args, stdout, platform.ServiceManager.Enable)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "autostart enabled: the %s service starts when you log in\n", m.Kind())
	if st, err := m.Status(ctx); err == nil {
		lingerHint(stdout, st)
	}
	return nil
}

func cmdDisable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m, err := serviceVerb(ctx, "disable", args, stdout, platform.ServiceManager.Disable)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "autostart disabled: the %s service stays installed and starts only with 'cco start'\n", m.Kind())
	return nil
}

// serviceVerb parses a verb that takes no arguments and runs it (do) on
// the installed service; it returns the service manager, or an error when
// the service is not installed or do fails.
func serviceVerb(ctx context.Context, verb string, args []string, stdout io.Writer, do func(platform.ServiceManager, context.Context) error) (platform.ServiceManager, error) {
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
	if err := do(m, ctx); err != nil {
		return nil, serviceError(err)
	}
	return m, nil
}
