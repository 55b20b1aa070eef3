package detached

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// StartOptions say how to start a detached daemon.
type StartOptions struct {
	Config   *config.Config
	Args     []string      // the daemon's flags
	Wait     time.Duration // how long it may take to become ready
	Progress Progress
}

// StartResult is a daemon that answers /ready.
type StartResult struct {
	Info    platform.PidInfo
	Already bool // it was running (or won a race to start) before us
	Elapsed time.Duration
	Stale   *platform.PidInfo // a stale pid file cleaned on the way
}

// StartError is a start that failed: why, and the log's lines since.
type StartError struct {
	Reason string
	Log    []string
}

func (e *StartError) Error() string { return e.Reason }

// Start spawns `cco daemon run` detached and returns once it answers
// /ready, or fails with the reason, leaving nothing behind. If a daemon
// already runs, or another start wins the race for the lock, that daemon
// is the result.
func Start(ctx context.Context, o StartOptions) (StartResult, error) {
	s := &starting{o: o, paths: o.Config.Paths(), t0: time.Now()}
	st, err := Inspect(s.paths)
	if err != nil {
		return StartResult{}, err
	}
	if st.Running {
		return s.already(ctx)
	}
	exe, err := os.Executable()
	if err != nil {
		return StartResult{}, fmt.Errorf("finding the cco executable to start: %w", err)
	}
	s.logStart = platform.FileSize(s.paths.Log)
	s.child, err = platform.SpawnDetached(platform.SpawnOptions{
		Exe: exe, Args: append([]string{"daemon", "run"}, o.Args...),
		Env: Env(o.Config.Home), Dir: o.Config.Home, LogPath: s.paths.Log,
	})
	if err != nil {
		return StartResult{}, err
	}
	res, err := s.wait(ctx)
	if res.Stale == nil {
		res.Stale = st.Stale
	}
	return res, err
}

// starting is one start in progress.
type starting struct {
	o        StartOptions
	paths    config.Paths
	t0       time.Time
	logStart int64 // the log's size before the child wrote to it
	child    *platform.Child
}

// wait waits for the child to be ready, to exit, or to run out of time.
func (s *starting) wait(ctx context.Context) (StartResult, error) {
	deadline := time.NewTimer(s.o.Wait)
	defer deadline.Stop()
	tick := time.NewTicker(PollEvery)
	defer tick.Stop()
	for {
		s.o.Progress.show("starting cco daemon (pid %d) on %s ... %.2fs", s.child.PID(), s.o.Config.URL(), time.Since(s.t0).Seconds())
		if info, ok := readyAs(ctx, s.paths, s.child.PID()); ok {
			return StartResult{Info: info, Elapsed: time.Since(s.t0)}, nil
		}
		select {
		case <-ctx.Done():
			s.abandon()
			return StartResult{}, &StartError{Reason: "interrupted; the daemon that was starting has been stopped", Log: s.log(10)}
		case <-s.child.Done():
			return s.lostOrFailed(ctx)
		case <-deadline.C:
			s.abandon()
			return StartResult{}, &StartError{
				Reason: fmt.Sprintf("the daemon did not become ready within %s (see --wait); it has been stopped", s.o.Wait),
				Log:    s.log(15),
			}
		case <-tick.C:
		}
	}
}

func (s *starting) log(n int) []string { return platform.LogSince(s.paths.Log, s.logStart, n) }

// already reports the daemon that holds the lock, once it is ready.
func (s *starting) already(ctx context.Context) (StartResult, error) {
	info, err := WaitReady(ctx, s.paths, max(s.o.Wait-time.Since(s.t0), PollEvery), s.o.Progress)
	return StartResult{Info: info, Already: true, Elapsed: time.Since(s.t0)}, err
}

// lostOrFailed handles a child that exited before it was ready: either
// another daemon holds the lock (a concurrent start won), which is success,
// or the start failed, and the child said why through the start pipe.
func (s *starting) lostOrFailed(ctx context.Context) (StartResult, error) {
	if st, err := Inspect(s.paths); err == nil && st.Running {
		return s.already(ctx)
	}
	reason := s.child.Report()
	if reason == "" {
		reason = fmt.Sprintf("the daemon exited before it was ready (%v)", s.child.Err())
	}
	return StartResult{}, &StartError{Reason: reason, Log: s.log(15)}
}

// abandon kills a child that will not be used, waits for it, and cleans
// the pid file it may have written: nothing is left behind.
func (s *starting) abandon() {
	_ = s.child.Kill()
	select {
	case <-s.child.Done():
	case <-time.After(10 * time.Second):
	}
	_, _ = Inspect(s.paths)
}

// Env is the environment of a detached daemon: ours, marked as detached,
// without what a service manager gave us (a daemon started from a unit's
// shell must not answer to that unit's notify socket).
func Env(home string) []string {
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
