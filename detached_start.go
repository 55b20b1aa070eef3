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
	s := &starting{o: o, paths: pathsIn(o.cfg.Home), t0: time.Now()}
	s.deadline = s.t0.Add(o.wait)
	st, err := s.paths.inspect()
	if err != nil {
		return startResult{}, err
	}
	if st.Running {
		return s.already(ctx)
	}
	exe, err := os.Executable()
	if err != nil {
		return startResult{}, fmt.Errorf("finding the cco executable to start: %w", err)
	}
	s.logStart = fileSize(s.paths.Log)
	s.child, err = platform.SpawnDetached(platform.SpawnOptions{
		Exe: exe, Args: append([]string{"daemon", "run"}, o.args...),
		Env: detachedEnv(o.cfg.Home), Dir: o.cfg.Home, LogPath: s.paths.Log,
	})
	if err != nil {
		return startResult{}, err
	}
	res, err := s.wait(ctx)
	if res.stale == nil {
		res.stale = st.Stale
	}
	return res, err
}

// starting is one start in progress.
type starting struct {
	o        startOptions
	paths    daemonPaths
	t0       time.Time
	deadline time.Time
	logStart int64 // the log's size before the child wrote to it
	child    *platform.Child
}

// wait waits for the child to be ready, to exit, or to run out of time.
func (s *starting) wait(ctx context.Context) (startResult, error) {
	for {
		s.o.progress.show("starting cco daemon (pid %d) on %s ... %s", s.child.PID(), s.o.cfg.URL(), seconds(time.Since(s.t0)))
		if info, ok := readyAs(ctx, s.paths, s.child.PID()); ok {
			return startResult{info: info, elapsed: time.Since(s.t0)}, nil
		}
		select {
		case <-ctx.Done():
			s.abandon()
			return startResult{}, &startError{reason: "interrupted; the daemon that was starting has been stopped", log: logSince(s.paths.Log, s.logStart, 10)}
		case <-s.child.Done():
			return s.lostOrFailed(ctx)
		case <-time.After(pollEvery):
		}
		if time.Now().After(s.deadline) {
			s.abandon()
			return startResult{}, &startError{
				reason: fmt.Sprintf("the daemon did not become ready within %s (see --wait); it has been stopped", s.o.wait),
				log:    logSince(s.paths.Log, s.logStart, 15),
			}
		}
	}
}

// already reports the daemon that holds the lock, once it is ready.
func (s *starting) already(ctx context.Context) (startResult, error) {
	info, err := waitForDaemon(ctx, s.paths, s.deadline, s.o.progress)
	return startResult{info: info, already: true, elapsed: time.Since(s.t0)}, err
}

// lostOrFailed handles a child that exited before it was ready: either
// another daemon holds the lock (a concurrent start won), which is success,
// or the start failed and the log says why.
func (s *starting) lostOrFailed(ctx context.Context) (startResult, error) {
	if st, err := s.paths.inspect(); err == nil && st.Running {
		return s.already(ctx)
	}
	lines := logSince(s.paths.Log, s.logStart, 15)
	reason := s.child.Report()
	if reason == "" {
		reason = fmt.Sprintf("the daemon exited before it was ready (%v)", s.child.Err())
	}
	return startResult{}, &startError{reason: reason, log: lines}
}

// abandon kills a child that will not be used, waits for it, and cleans
// the pid file it may have written: nothing is left behind.
func (s *starting) abandon() {
	_ = s.child.Kill()
	select {
	case <-s.child.Done():
	case <-time.After(10 * time.Second):
	}
	_, _ = s.paths.inspect()
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
		case <-time.After(pollEvery):
		}
	}
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
