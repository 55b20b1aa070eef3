package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// startOptions say how to start a detached daemon.
type startOptions struct {
	cfg      *config.Config
	args     []string      // the daemon's flags
	wait     time.Duration // how long it may take to become ready
	progress progressLine
}

// startResult is a daemon that answers /ready.
type startResult struct {
	info    platform.PidInfo
	already bool // it was running (or won a race to start) before us
	elapsed time.Duration
	stale   *platform.PidInfo // a stale pid file cleaned on the way
}

// startError is a start that failed, with what the log said about it.
type startError struct {
	reason string
	log    []string
}

func (e *startError) Error() string { return e.reason }

// startDetached spawns `cco daemon run` detached and returns once it
// answers /ready, or fails with the reason, leaving nothing behind. If a
// daemon already runs, or another start wins the race for the lock, that
// daemon is the result.
func startDetached(ctx context.Context, o startOptions) (startResult, error) {
	t0 := time.Now()
	deadline := t0.Add(o.wait)
	paths := pathsIn(o.cfg.Home)
	st, err := paths.inspect()
	if err != nil {
		return startResult{}, err
	}
	if st.Running {
		info, err := waitForDaemon(ctx, paths, deadline, o.progress)
		return startResult{info: info, already: true, elapsed: time.Since(t0)}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return startResult{}, fmt.Errorf("finding the cco executable to start: %w", err)
	}
	logStart := fileSize(paths.Log)
	child, err := platform.SpawnDetached(platform.SpawnOptions{
		Exe: exe, Args: append([]string{"daemon", "run"}, o.args...),
		Env: detachedEnv(o.cfg.Home), Dir: o.cfg.Home, LogPath: paths.Log,
	})
	if err != nil {
		return startResult{}, err
	}
	res := startResult{stale: st.Stale}
	for {
		o.progress.show("starting cco daemon (pid %d) on %s ... %s", child.PID(), o.cfg.URL(), seconds(time.Since(t0)))
		if info, ok := readyAs(ctx, paths, child.PID()); ok {
			res.info, res.elapsed = info, time.Since(t0)
			return res, nil
		}
		select {
		case <-ctx.Done():
			abandon(child, paths)
			return res, &startError{reason: "interrupted; the daemon that was starting has been stopped", log: logSince(paths.Log, logStart, 10)}
		case <-child.Done():
			return lostOrFailed(ctx, paths, child, logStart, deadline, o.progress, t0)
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			abandon(child, paths)
			return res, &startError{
				reason: fmt.Sprintf("the daemon did not become ready within %s (see --wait); it has been stopped", o.wait),
				log:    logSince(paths.Log, logStart, 15),
			}
		}
	}
}

// readyAs reports whether the daemon with this PID has written its pid
// file (so it holds the lock and listens) and answers /ready. Checking the
// PID first means another program on the same port never passes for it.
func readyAs(ctx context.Context, paths daemonPaths, pid int) (platform.PidInfo, bool) {
	info, err := platform.ReadPidFile(paths.Pid)
	if err != nil || info.PID != pid {
		return info, false
	}
	code, err := probe(ctx, infoURL(info), "/ready", nil)
	return info, err == nil && code == 200
}

// lostOrFailed handles a child that exited before it was ready: either
// another daemon holds the lock (a concurrent start won), which is success,
// or the start failed and the log says why.
func lostOrFailed(ctx context.Context, paths daemonPaths, child *platform.Child, logStart int64, deadline time.Time, p progressLine, t0 time.Time) (startResult, error) {
	st, err := paths.inspect()
	if err == nil && st.Running {
		info, err := waitForDaemon(ctx, paths, deadline, p)
		return startResult{info: info, already: true, elapsed: time.Since(t0)}, err
	}
	lines := logSince(paths.Log, logStart, 15)
	reason := fmt.Sprintf("the daemon exited before it was ready (%v)", child.Err())
	for i := len(lines) - 1; i >= 0; i-- {
		if msg, ok := strings.CutPrefix(lines[i], "cco run: "); ok {
			reason = msg
			break
		}
	}
	return startResult{}, &startError{reason: reason, log: lines}
}

// waitForDaemon waits until the daemon that holds the lock answers /ready.
func waitForDaemon(ctx context.Context, paths daemonPaths, deadline time.Time, p progressLine) (platform.PidInfo, error) {
	for {
		st, err := paths.inspect()
		if err != nil {
			return platform.PidInfo{}, err
		}
		if !st.Running {
			return platform.PidInfo{}, errors.New("the daemon that was starting has exited; see 'cco logs'")
		}
		if st.Info != nil {
			p.show("waiting for cco daemon (pid %d) to be ready ...", st.Info.PID)
			if info, ok := readyAs(ctx, paths, st.Info.PID); ok {
				return info, nil
			}
		}
		if time.Now().After(deadline) {
			return platform.PidInfo{}, errors.New("a cco daemon holds the lock but did not become ready in time; see 'cco status' and 'cco logs'")
		}
		select {
		case <-ctx.Done():
			return platform.PidInfo{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// abandon kills a child that will not be used, waits for it, and cleans
// the pid file it may have written: nothing is left behind.
func abandon(child *platform.Child, paths daemonPaths) {
	_ = child.Kill()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
	}
	_, _ = paths.inspect()
}

// detachedEnv is the environment of a detached daemon: ours, marked as
// detached, without what a service manager gave us (a daemon started from
// a unit's shell must not answer to that unit's notify socket).
func detachedEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "CCO_MANAGER", "CCO_HOME", "NOTIFY_SOCKET", "INVOCATION_ID", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "CCO_MANAGER=detached", "CCO_HOME="+home)
}
