package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/internal/wait"
	"github.com/anthropics/cco/platform"
	"github.com/anthropics/cco/server"
)

// When cco's service is installed, start/stop/restart/reload/status go
// through its manager: a daemon that was merely signalled would be
// restarted by Restart=always or KeepAlive, and one started beside the
// manager would fight the service for the port and the lock.

// installedService returns the service manager when cco's service is
// installed for this CCO_HOME's user. It needs no valid configuration
// (stop and status must work with a broken config file); anything short
// of a usable, installed service is ok=false.
func installedService(home string) (platform.ServiceManager, bool) {
	cfg, err := loadConfig("", nil)
	if err != nil {
		cfg = &config.Config{Home: home, AutoStart: true}
	}
	m, err := newServiceManager(cfg, "")
	if err != nil {
		return nil, false
	}
	installed, err := m.Installed()
	return m, err == nil && installed
}

// noFlagsForService refuses daemon flags the service cannot be given: it
// runs with its config file, so a flag here would be silently ignored.
func noFlagsForService(fs *flags, verb, kind string) error {
	given := config.FlagArgs(fs.FlagSet)
	if len(given) == 0 {
		return nil
	}
	return usageError{fmt.Sprintf("cco runs as a %s service, which reads its settings from the config file: %s cannot apply %s; use 'cco config set KEY VALUE', then 'cco restart'",
		kind, verb, strings.Join(given, " "))}
}

// detachedBeside reports a detached daemon running although the service
// is installed (started before the install, or with the manager away).
func detachedBeside(paths config.Paths, kind string) *platform.PidInfo {
	st, err := detached.Inspect(paths)
	if err != nil || !st.Running || st.Info == nil || st.Info.Manager == kind {
		return nil
	}
	return st.Info
}

// serviceReadyTimeout bounds the wait for /ready after the manager says
// the service started.
const serviceReadyTimeout = 30 * time.Second

// serviceStartOrRestart starts (or restarts) the installed service and
// waits until the daemon answers /ready, like a detached start does.
func serviceStartOrRestart(ctx context.Context, m platform.ServiceManager, paths config.Paths, limit time.Duration, restart bool, stdout, stderr io.Writer) error {
	if d := detachedBeside(paths, m.Kind()); d != nil {
		return fmt.Errorf("a cco daemon started outside the %s service runs (pid %d, manager %s) and holds the port; stop it with 'cco stop', then start the service", m.Kind(), d.PID, d.Manager)
	}
	t0 := time.Now()
	logStart := platform.FileSize(paths.Log)
	verb, act := "started", m.Start
	if restart {
		verb, act = "restarted", m.Restart
	}
	err := act(ctx)
	var info platform.PidInfo
	if err == nil {
		p := newProgress(stderr)
		info, err = detached.WaitReady(ctx, paths, limit, p.show)
		p.clear()
	}
	if err != nil {
		fmt.Fprintf(stderr, "cco: %s\n", serviceError(err))
		printLines(stderr, "last lines of "+paths.Log+":", platform.LogSince(paths.Log, logStart, 15))
		return errSilent{exitFailure}
	}
	fmt.Fprintf(stdout, "cco %s through %s: %s (pid %d, ready in %s)\n", verb, m.Kind(), client.For(info, paths).URL(), info.PID, seconds(time.Since(t0)))
	return nil
}

// serviceStop stops the installed service (it stays stopped until the next
// start or login), and a detached daemon found running beside it.
func serviceStop(ctx context.Context, m platform.ServiceManager, paths config.Paths, timeout time.Duration, stdout, stderr io.Writer) error {
	st, err := m.Status(ctx)
	if err != nil {
		return serviceError(err)
	}
	beside := detachedBeside(paths, m.Kind())
	if st.Running || st.MainPID > 0 {
		if err := m.Stop(ctx); err != nil {
			return serviceError(err)
		}
		fmt.Fprintf(stdout, "cco stopped through %s (pid %d)\n", m.Kind(), st.MainPID)
	} else if beside == nil {
		fmt.Fprintf(stdout, "cco is not running (%s service: %s)\n", m.Kind(), orUnknown(st.State))
		return nil
	}
	if beside != nil {
		p := newProgress(stderr)
		res, err := detached.Stop(ctx, paths, timeout, p.show)
		p.clear()
		if err != nil {
			return err
		}
		reportStop(res, stdout)
	}
	return nil
}

// serviceReload asks the manager to reload (systemd's ExecReload and
// launchd's kill both send SIGHUP). A signal carries no answer, so the
// daemon's reload counter in /api/status says when it was done and how.
// ok is false where the manager has no reload (Windows): the caller then
// reloads over the daemon's API.
func serviceReload(ctx context.Context, m platform.ServiceManager, c *client.Client, stdout, stderr io.Writer) (ok bool, err error) {
	if m.Kind() == "windows" {
		return false, nil
	}
	st, err := m.Status(ctx)
	if err != nil {
		return true, serviceError(err)
	}
	if !st.Running {
		fmt.Fprintf(stderr, "cco is not running (%s service: %s); nothing to reload\n", m.Kind(), orUnknown(st.State))
		return true, errNotRunning
	}
	before, err := c.Status(ctx)
	if err != nil {
		return false, nil // not answering: the API path reports why
	}
	if err := m.Reload(ctx); err != nil {
		return true, serviceError(err)
	}
	var after *server.Status
	err = wait.Until(ctx, 20*time.Millisecond, serviceReadyTimeout, func() (bool, error) {
		s, err := c.Status(ctx)
		if err == nil && s.Reload.Count > before.Reload.Count {
			after = s
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return true, fmt.Errorf("the %s service was asked to reload, but the daemon did not report a reload: %w", m.Kind(), err)
	}
	// LastError is set by a refused reload and cleared by an applied one.
	if after.Reload.LastError != "" {
		fmt.Fprintf(stderr, "cco reload: the new configuration was refused; the daemon keeps running with the old one:\n  %s\n", strings.ReplaceAll(after.Reload.LastError, "\n", "\n  "))
		return true, errSilent{exitUsage}
	}
	fmt.Fprintf(stdout, "configuration reloaded through %s (pid %d)\n", m.Kind(), st.MainPID)
	reportReload(stdout, *after.Reload.Last)
	return true, nil
}

// addServiceStatus fills the service lines of `cco status` when the
// service is installed: file, autostart, the manager's own state and
// restart count, the binary it runs, and warnings.
func addServiceStatus(ctx context.Context, s *daemonStatus, paths config.Paths) {
	m, ok := installedService(paths.Home)
	if !ok {
		return
	}
	st, err := m.Status(ctx)
	s.Service = map[string]string{"service": fmt.Sprintf("%s, installed at %s", m.Kind(), m.Path())}
	if err != nil {
		s.Service["warning"] = serviceError(err).Error()
		return
	}
	s.Service["enabled"] = map[bool]string{true: "yes: starts at login", false: "no: starts only with 'cco start'"}[st.Enabled]
	state := orUnknown(st.State)
	if st.Restarts >= 0 {
		state += fmt.Sprintf(", %d restart%s", st.Restarts, map[bool]string{true: "", false: "s"}[st.Restarts == 1])
	}
	s.Service["state"] = state
	if st.Exe != "" {
		s.Service["binary"] = st.Exe
	}
	warnings := binaryWarnings(st.Exe)
	if st.Linger != nil && !*st.Linger {
		warnings = append(warnings, "lingering is off for your user: the service starts when you log in, not at boot ('loginctl enable-linger' changes that)")
	}
	if len(warnings) > 0 {
		s.Service["warning"] = strings.Join(warnings, "; ")
	}
}

// binaryWarnings says when the service's binary is gone or is not this one.
func binaryWarnings(exe string) []string {
	if exe == "" {
		return []string{"the service file names no binary; run 'cco install' to rewrite it"}
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return []string{fmt.Sprintf("the service's binary %s no longer exists; run 'cco install' to point the service at this one", exe)}
	}
	self, err := selfPath()
	if err != nil {
		return nil
	}
	if sfi, err := os.Stat(self); err == nil && !os.SameFile(fi, sfi) {
		return []string{fmt.Sprintf("the service runs %s, not this binary (%s); run 'cco install' to point the service at this one", exe, self)}
	}
	return nil
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

// serviceError makes a missing manager one plain line, without the
// "doing what" prefixes wrapped around it.
func serviceError(err error) error {
	var nm *platform.NoManagerError
	if errors.As(err, &nm) {
		return nm
	}
	return err
}
