package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
	"github.com/spf13/pflag"
)

// When cco's service is installed, start/stop/restart/reload/status go
// through its manager: a daemon that was merely signalled would be
// restarted by Restart=always or KeepAlive, and one started beside the
// manager would fight the service for the port and the lock.

// routedService returns the service manager when cco's service is
// installed. It needs no valid configuration (stop and status must work
// with a broken config file): only CCO_HOME matters to find the service.
func routedService(paths daemonPaths) (platform.ServiceManager, bool) {
	cfg, err := loadConfig("", nil)
	if err != nil {
		cfg = &config.Config{Home: paths.Home, AutoStart: true}
	}
	return installedService(cfg)
}

// noFlagsForService refuses daemon flags the service cannot be given: it
// runs with its config file, so a flag here would be silently ignored.
func noFlagsForService(fs *pflag.FlagSet, verb, kind string) error {
	given := config.FlagArgs(fs)
	if len(given) == 0 {
		return nil
	}
	return usageError{fmt.Sprintf("cco runs as a %s service, which reads its settings from the config file: %s cannot apply %s; use 'cco config set KEY VALUE', then 'cco restart'",
		kind, verb, strings.Join(given, " "))}
}

// detachedBeside reports a detached daemon running although the service
// is installed (started before the install, or with the manager away).
func detachedBeside(paths daemonPaths, kind string) *platform.PidInfo {
	st, err := paths.inspect()
	if err != nil || !st.Running || st.Info == nil || st.Info.Manager == kind {
		return nil
	}
	return st.Info
}

// serviceStartOrRestart starts (or restarts) the installed service and
// waits until the daemon answers /ready, like a detached start does.
func serviceStartOrRestart(ctx context.Context, m platform.ServiceManager, paths daemonPaths, wait time.Duration, restart bool, stdout, stderr io.Writer) error {
	if d := detachedBeside(paths, m.Kind()); d != nil {
		return fmt.Errorf("a cco daemon started outside the %s service runs (pid %d, manager %s) and holds the port; stop it with 'cco stop', then start the service", m.Kind(), d.PID, d.Manager)
	}
	t0 := time.Now()
	logStart := fileSize(paths.Log)
	verb, act := "started", m.Start
	if restart {
		verb, act = "restarted", m.Restart
	}
	err := act(ctx)
	var info platform.PidInfo
	if err == nil {
		p := newProgress(stderr)
		info, err = waitForDaemon(ctx, paths, t0.Add(wait), p)
		p.clear()
	}
	if err != nil {
		fmt.Fprintf(stderr, "cco: %s\n", serviceError(err))
		if lines := logSince(paths.Log, logStart, 15); len(lines) > 0 {
			fmt.Fprintf(stderr, "last lines of %s:\n", paths.Log)
			for _, l := range lines {
				fmt.Fprintf(stderr, "  %s\n", l)
			}
		}
		return errSilent{exitFailure}
	}
	fmt.Fprintf(stdout, "cco %s through %s: %s (pid %d, ready in %s)\n", verb, m.Kind(), infoURL(info), info.PID, seconds(time.Since(t0)))
	return nil
}

// serviceStop stops the installed service (it stays stopped until the next
// start or login), and a detached daemon found running beside it.
func serviceStop(ctx context.Context, m platform.ServiceManager, paths daemonPaths, timeout time.Duration, stdout, stderr io.Writer) error {
	st, err := m.Status(ctx)
	if err != nil {
		return serviceError(err)
	}
	if st.Running || st.MainPID > 0 {
		if err := m.Stop(ctx); err != nil {
			return serviceError(err)
		}
		fmt.Fprintf(stdout, "cco stopped through %s (pid %d)\n", m.Kind(), st.MainPID)
	} else if detachedBeside(paths, m.Kind()) == nil {
		fmt.Fprintf(stdout, "cco is not running (%s service: %s)\n", m.Kind(), orUnknown(st.State))
		return nil
	}
	if detachedBeside(paths, m.Kind()) != nil {
		p := newProgress(stderr)
		res, err := stopDetached(ctx, paths, timeout, p)
		p.clear()
		if err != nil {
			return err
		}
		reportStop(res, stdout)
	}
	return nil
}

// serviceReload asks the manager to reload (systemd's ExecReload and
// launchd's kill both send SIGHUP) and reports what the daemon logged about
// it. ok is false where the manager has no reload (Windows): the caller
// then reloads over the daemon's API.
func serviceReload(ctx context.Context, m platform.ServiceManager, paths daemonPaths, stdout, stderr io.Writer) (ok bool, err error) {
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
	logStart := fileSize(paths.Log)
	if err := m.Reload(ctx); err != nil {
		return true, serviceError(err)
	}
	// The signal carries no answer: the daemon's log line about the reload
	// is the answer (server.Reload logs one either way).
	line, refused := awaitReloadLog(ctx, paths.Log, logStart, serviceReadyTimeout)
	switch {
	case line == "":
		fmt.Fprintf(stdout, "reload requested through %s (pid %d); see 'cco logs' for what changed\n", m.Kind(), st.MainPID)
	case refused:
		fmt.Fprintf(stderr, "cco reload: the new configuration was refused; the daemon keeps running with the old one:\n  %s\n", line)
		return true, errSilent{exitUsage}
	default:
		fmt.Fprintf(stdout, "configuration reloaded through %s (pid %d):\n  %s\n", m.Kind(), st.MainPID, line)
	}
	return true, nil
}

// awaitReloadLog waits for the daemon's log line about a reload written
// after offset.
func awaitReloadLog(ctx context.Context, path string, offset int64, limit time.Duration) (line string, refused bool) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if fileSize(path) > offset {
			for _, l := range logSince(path, offset, 50) {
				switch {
				case strings.Contains(l, "configuration reload refused"):
					return l, true
				case strings.Contains(l, "configuration reloaded"):
					return l, false
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "", false
}

// addServiceStatus fills the service lines of `cco status` when the
// service is installed: file, autostart, the manager's own state and
// restart count, the binary it runs, and warnings.
func addServiceStatus(ctx context.Context, s *daemonStatus, paths daemonPaths) {
	m, ok := routedService(paths)
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
