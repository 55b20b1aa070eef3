package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

const installDetails = `It writes the service file for this user, with no root:
  Linux    ~/.config/systemd/user/cco-daemon.service (a systemd user unit)
  macOS    ~/Library/LaunchAgents/com.anthropic.cco.daemon.plist (a LaunchAgent)
  Windows  the cco-daemon service of the Service Control Manager (run it elevated)
The service runs 'cco daemon run' with this CCO_HOME written into it, starts
at login when auto_start is true (the default; 'cco disable' turns that off)
and is restarted when it crashes. Settings come from the config file: CCO_*
variables of this shell are not copied into the service (install warns when
some are set). Running it again updates the file when something changed.
On Linux, 'loginctl enable-linger' keeps it running when you log out.`

func cmdInstall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("install", stdout)
	start := fs.Bool("start", false, "start the service (or restart it when its settings changed)")
	file := fs.String("config", "", "the config `FILE` the service runs with instead of CCO_HOME/config.toml")
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*file, nil)
	if err != nil {
		return err
	}
	if err := config.EnsureHome(cfg.Home); err != nil {
		return err
	}
	m, err := newServiceManager(cfg, *file)
	if err != nil {
		return serviceError(err)
	}
	res, err := m.Install(ctx)
	if err != nil {
		return serviceError(fmt.Errorf("installing the %s service: %w", m.Kind(), err))
	}
	switch {
	case res.Created:
		fmt.Fprintf(stdout, "installed the %s service: %s\n", m.Kind(), m.Path())
	case res.Changed():
		fmt.Fprintf(stdout, "updated the %s service: %s\n", m.Kind(), m.Path())
		for _, c := range res.Changes {
			fmt.Fprintf(stdout, "  changed %s\n", c)
		}
	default:
		fmt.Fprintf(stdout, "already installed, up to date: %s\n", m.Path())
	}
	warnEnvOverrides(stderr)

	st, err := m.Status(ctx)
	if err != nil {
		return serviceError(err)
	}
	// The library enables what it installs; auto_start decides.
	switch {
	case cfg.AutoStart && !st.Enabled:
		if err := m.Enable(ctx); err != nil {
			return serviceError(err)
		}
		fmt.Fprintln(stdout, "autostart enabled: the service starts when you log in")
	case cfg.AutoStart && res.Changed():
		fmt.Fprintln(stdout, "autostart enabled: the service starts when you log in")
	case !cfg.AutoStart:
		if st.Enabled {
			if err := m.Disable(ctx); err != nil {
				return serviceError(err)
			}
			st.Enabled = false
		}
		fmt.Fprintln(stdout, "autostart is off (auto_start = false); turn it on with 'cco enable'")
	}
	lingerHint(stdout, st)

	switch {
	case *start:
		restart := st.Running && res.Changed()
		return serviceStartOrRestart(ctx, m, cfg.Paths(), serviceReadyTimeout, restart, stdout, stderr)
	case st.Running && res.Changed():
		fmt.Fprintln(stdout, "the service is running with the old settings; apply the new ones with 'cco restart'")
	case !st.Running:
		fmt.Fprintln(stdout, "start it now with 'cco start'")
	}
	return nil
}

// lingerHint explains why a user unit will not start at boot.
func lingerHint(w io.Writer, st platform.ServiceStatus) {
	if st.Linger != nil && !*st.Linger {
		fmt.Fprintln(w, "note: lingering is off for your user, so the service starts when you log in, not at boot; 'loginctl enable-linger' changes that")
	}
}
