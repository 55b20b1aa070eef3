package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// defaultStopTimeout is how long stop waits after SIGTERM before SIGKILL;
// it leaves room for the daemon's own drain (shutdownTimeout).
const defaultStopTimeout = 10 * time.Second

func cmdStop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stop", stdout)
	timeout := fs.Duration("timeout", defaultStopTimeout, "how long to wait after "+termName+" before killing the daemon")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"stop takes no arguments"}
	}
	if *timeout <= 0 {
		return usageError{fmt.Sprintf("--timeout must be a positive duration such as 10s, not %s", *timeout)}
	}
	paths, err := homePaths()
	if err != nil {
		return err
	}
	if m, ok := routedService(paths); ok { // service_verbs.go
		return serviceStop(ctx, m, paths, *timeout, stdout, stderr)
	}
	p := newProgress(stderr)
	res, err := stopDetached(ctx, paths, *timeout, p)
	p.clear()
	if err != nil {
		return err
	}
	reportStop(res, stdout)
	return nil
}

// reportStop says whether a daemon was stopped, and how.
func reportStop(res stopResult, w io.Writer) {
	if res.stale != nil {
		fmt.Fprintf(w, "removed a stale pid file (pid %d was not a running cco daemon; it was not signalled)\n", res.stale.PID)
	}
	if res.pidFileErr != nil {
		fmt.Fprintf(w, "note: daemon.pid was unreadable (%v); the daemon holding the lock is pid %d\n", res.pidFileErr, res.pid)
	}
	if res.wrongPidFile != 0 {
		fmt.Fprintf(w, "note: daemon.pid named pid %d, which was not the daemon (it was not signalled); the daemon holding the lock is pid %d\n", res.wrongPidFile, res.pid)
	}
	switch {
	case !res.running:
		fmt.Fprintln(w, "cco is not running")
	case res.killed:
		fmt.Fprintf(w, "cco stopped (pid %d): %s, so it was killed (SIGKILL) after %s\n", res.pid, res.why, seconds(res.elapsed))
	default:
		fmt.Fprintf(w, "cco stopped (pid %d): exited cleanly on %s in %s\n", res.pid, termName, seconds(res.elapsed))
	}
}
