package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anthropics/cco/platform"
)

// killGrace bounds the wait for the lock after SIGKILL: the kernel frees
// it as soon as the process is gone, so this is only a safety net.
const killGrace = 10 * time.Second

// stopResult says how a stop went.
type stopResult struct {
	running bool // a daemon was running
	pid     int
	killed  bool   // SIGTERM (or the shutdown request) did not suffice
	why     string // why it was killed, when it was
	elapsed time.Duration
	stale   *platform.PidInfo // a stale pid file removed, never signalled
	// wrongPidFile is the PID daemon.pid named when it was not the
	// daemon's (the lock holder was stopped instead); 0 when it was.
	wrongPidFile int
	pidFileErr   error // daemon.pid did not parse (the lock holder was stopped)
}

// stopDetached stops the daemon that holds the lock: it asks it to stop
// (SIGTERM; on Windows the authenticated shutdown request), waits for the
// lock to be released, and kills it after timeout. A pid file whose lock is
// free is stale: it is removed and its PID never signalled.
func stopDetached(ctx context.Context, paths daemonPaths, timeout time.Duration, p progressLine) (stopResult, error) {
	t0 := time.Now()
	deadline := t0.Add(timeout)
	var res stopResult
	proc, info, err := openDaemon(ctx, paths, deadline, &res)
	if err != nil || proc == nil {
		return res, err
	}
	defer proc.Close()
	res.running, res.pid = true, info.PID

	// A concurrent stop may have got there first: a process already gone
	// is simply waited for.
	if err := askToStop(ctx, proc, info, paths); err != nil && !errors.Is(err, platform.ErrProcessGone) {
		res.killed, res.why = true, fmt.Sprintf("asking it to stop failed (%v)", err)
	} else {
		for !res.killed {
			p.show("stopping cco daemon (pid %d) ... %s", info.PID, seconds(time.Since(t0)))
			gone, err := stopped(proc, paths)
			if err != nil {
				return res, err
			}
			if gone {
				res.elapsed = time.Since(t0)
				return res, nil
			}
			if time.Now().After(deadline) {
				res.killed, res.why = true, fmt.Sprintf("it did not exit within %s of %s", timeout, termName)
				break
			}
			select {
			case <-ctx.Done():
				return res, fmt.Errorf("interrupted while waiting for pid %d to exit; it may still be stopping (see 'cco status')", info.PID)
			case <-time.After(pollEvery):
			}
		}
	}
	if err := proc.Kill(); err != nil && !errors.Is(err, platform.ErrProcessGone) {
		return res, fmt.Errorf("killing pid %d: %w", info.PID, err)
	}
	for end := time.Now().Add(killGrace); ; {
		gone, err := stopped(proc, paths)
		if err != nil {
			return res, err
		}
		if gone {
			res.elapsed = time.Since(t0)
			return res, nil
		}
		if time.Now().After(end) {
			return res, fmt.Errorf("pid %d was killed but %s is still locked", info.PID, paths.Lock)
		}
		time.Sleep(pollEvery)
	}
}

// openDaemon finds the daemon that holds the lock and opens a handle on
// it. Which process that is comes from the lock, never from the pid file
// alone (platform.Identify); the handle is opened first and the daemon
// confirmed afterwards, so a PID reused in between fails the confirmation
// instead of being signalled. It returns a nil process when nothing runs.
func openDaemon(ctx context.Context, paths daemonPaths, deadline time.Time, res *stopResult) (*platform.Process, platform.PidInfo, error) {
	for {
		st, err := paths.inspect()
		if err != nil {
			return nil, platform.PidInfo{}, err
		}
		if st.Stale != nil {
			res.stale = st.Stale
		}
		if !st.Running {
			return nil, platform.PidInfo{}, nil
		}
		starting := st.Info == nil && st.InfoErr == nil
		d, err := platform.Identify(paths.Lock, st.Info)
		var idErr *platform.IdentityError
		switch {
		case errors.Is(err, platform.ErrNotLocked):
			continue // it exited just now: look again
		case errors.As(err, &idErr) && !starting:
			return nil, platform.PidInfo{}, err
		case err != nil && !starting:
			return nil, platform.PidInfo{}, err
		case err == nil:
			if proc, ok := openConfirmed(paths, st, d); ok {
				info := platform.PidInfo{PID: d.PID}
				if st.Info != nil && !d.PidFileWrong {
					info = *st.Info
				}
				switch {
				case st.InfoErr != nil:
					res.pidFileErr = st.InfoErr
				case d.PidFileWrong && !starting:
					res.wrongPidFile = d.PidFilePID
				}
				return proc, info, nil
			}
		}
		// Starting (no pid file yet and no kernel to ask) or changing
		// hands: look again.
		if time.Now().After(deadline) {
			return nil, platform.PidInfo{}, fmt.Errorf("a cco daemon holds %s but has written no pid file yet; try again once it has started", paths.Lock)
		}
		select {
		case <-ctx.Done():
			return nil, platform.PidInfo{}, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// openConfirmed opens a handle on d and confirms it is still the daemon.
func openConfirmed(paths daemonPaths, st platform.State, d platform.Daemon) (*platform.Process, bool) {
	proc, err := platform.OpenProcess(d.PID)
	if err != nil {
		return nil, false
	}
	if platform.Confirm(proc, paths.Lock, st.Info) != nil {
		proc.Close()
		return nil, false
	}
	return proc, true
}

// stopped reports whether the daemon is gone: its lock is free (checking
// cleans the pid file a killed daemon leaves), or the process has exited
// and another daemon (a service manager's restart, a racing start) already
// holds the lock anew.
func stopped(proc *platform.Process, paths daemonPaths) (bool, error) {
	// Exited first: a process's files (and so its lock) are closed before
	// it counts as exited, so the inspection after sees the lock free.
	exited := proc.Exited()
	st, err := paths.inspect()
	if err != nil {
		return false, err
	}
	return exited || !st.Running, nil
}
