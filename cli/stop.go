package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/platform"
)

// defaultStopTimeout is how long stop waits after SIGTERM before SIGKILL:
// what a service manager waits, which leaves room for the daemon's own
// drain (platform.DrainTimeout) and the flush after it.
const defaultStopTimeout = platform.StopTimeout

// parseStopping parses the flags of a verb that stops the daemon (stop,
// restart), checks its --timeout and finds CCO_HOME.
func parseStopping(fs *flags, timeout *time.Duration, args []string) (config.Paths, error) {
	if err := fs.parse(args); err != nil {
		return config.Paths{}, err
	}
	if err := checkTimeout(*timeout); err != nil {
		return config.Paths{}, err
	}
	return homePaths()
}

func addTimeoutFlag(fs *flags) *time.Duration {
	return fs.Duration("timeout", defaultStopTimeout, "how long to wait after "+detached.TermName+" before killing the daemon")
}

func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return usageError{fmt.Sprintf("--timeout must be a positive duration such as 10s, not %s", d)}
	}
	return nil
}

func cmdStop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stop", stdout)
	timeout := addTimeoutFlag(fs)
	paths, err := parseStopping(fs, timeout, args)
	if err != nil {
		return err
	}
	if m, ok := installedService(paths.Home); ok {
		return serviceStop(ctx, m, paths, *timeout, stdout, stderr)
	}
	p := newProgress(stderr)
	res, err := detached.Stop(ctx, paths, *timeout, p.show)
	p.clear()
	if err != nil {
		return err
	}
	reportStop(res, stdout)
	return nil
}

// reportStop says whether a daemon was stopped, and how.
func reportStop(res detached.StopResult, w io.Writer) {
	reportStale(w, res.Stale)
	if res.PidFileErr != nil {
		fmt.Fprintf(w, "note: daemon.pid was unreadable (%v); the daemon holding the lock is pid %d\n", res.PidFileErr, res.PID)
	}
	if res.WrongPidFile != 0 {
		fmt.Fprintf(w, "note: daemon.pid named pid %d, which was not the daemon (it was not signalled); the daemon holding the lock is pid %d\n", res.WrongPidFile, res.PID)
	}
	switch {
	case !res.Running:
		fmt.Fprintln(w, "cco is not running")
	case res.Killed:
		fmt.Fprintf(w, "cco stopped (pid %d): %s, so it was killed (SIGKILL) after %s\n", res.PID, res.Why, seconds(res.Elapsed))
	default:
		fmt.Fprintf(w, "cco stopped (pid %d): exited cleanly on %s in %s\n", res.PID, detached.TermName, seconds(res.Elapsed))
	}
}

// reportStale says that a stale pid file was removed, and that its PID was
// left alone.
func reportStale(w io.Writer, stale *platform.PidInfo) {
	if stale != nil {
		fmt.Fprintf(w, "removed a stale pid file (pid %d was not a running cco daemon; it was not signalled)\n", stale.PID)
	}
}
