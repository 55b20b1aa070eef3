package detached

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/wait"
	"github.com/anthropics/cco/platform"
)

// closedGrace bounds how long stop waits on a daemon that no longer
// listens: one already stopping (a concurrent stop) closes its address
// first and exits within its drain.
const closedGrace = platform.DrainTimeout + 5*time.Second

// killGrace bounds the wait for the lock after SIGKILL: the kernel frees
// it as soon as the process is gone, so this is only a safety net.
const killGrace = 10 * time.Second

// StopResult says how a stop went.
type StopResult struct {
	Running bool // a daemon was running
	PID     int
	Killed  bool   // SIGTERM (or the shutdown request) did not suffice
	Why     string // why it was killed, when it was
	Elapsed time.Duration
	Stale   *platform.PidInfo // a stale pid file removed, never signalled
	// WrongPidFile is the PID daemon.pid named when it was not the
	// daemon's (the lock holder was stopped instead); 0 when it was.
	WrongPidFile int
	PidFileErr   error // daemon.pid did not parse (the lock holder was stopped)
}

// Stop stops the daemon that holds the lock: it asks it to stop (SIGTERM;
// on Windows the authenticated shutdown request), waits for the lock to be
// released, and kills it after timeout. A pid file whose lock is free is
// stale: it is removed and its PID never signalled.
func Stop(ctx context.Context, paths config.Paths, timeout time.Duration, p Progress) (StopResult, error) {
	t0 := time.Now()
	var res StopResult
	proc, info, err := openDaemon(ctx, paths, timeout, &res, p)
	if err != nil || proc == nil {
		return res, err
	}
	defer proc.Close()
	res.Running, res.PID = true, info.PID

	// A concurrent stop may have got there first: a process already gone
	// is simply waited for.
	if err := askToStop(ctx, proc, info, paths); err != nil && !errors.Is(err, platform.ErrProcessGone) {
		res.Killed, res.Why = true, fmt.Sprintf("asking it to stop failed (%v)", err)
	} else {
		err := wait.Until(ctx, PollEvery, max(timeout-time.Since(t0), PollEvery), func() (bool, error) {
			p.show("stopping cco daemon (pid %d) ... %.2fs", info.PID, time.Since(t0).Seconds())
			return stopped(proc, paths)
		})
		switch {
		case err == nil:
			res.Elapsed = time.Since(t0)
			return res, nil
		case errors.Is(err, wait.ErrTimeout):
			res.Killed, res.Why = true, fmt.Sprintf("it did not exit within %s of %s", timeout, TermName)
		case ctx.Err() != nil:
			return res, fmt.Errorf("interrupted while waiting for pid %d to exit; it may still be stopping (see 'cco status')", info.PID)
		default:
			return res, err
		}
	}
	if err := proc.Kill(); err != nil && !errors.Is(err, platform.ErrProcessGone) {
		return res, fmt.Errorf("killing pid %d: %w", info.PID, err)
	}
	err = wait.Until(context.Background(), PollEvery, killGrace, func() (bool, error) { return stopped(proc, paths) })
	if errors.Is(err, wait.ErrTimeout) {
		return res, fmt.Errorf("pid %d was killed but %s is still locked", info.PID, paths.Lock)
	}
	res.Elapsed = time.Since(t0)
	return res, err
}

// openDaemon finds the daemon that holds the lock and opens a handle on
// it. Which process that is comes from the lock, never from the pid file
// alone (platform.Identify); the handle is opened first and the daemon
// confirmed afterwards, so a PID reused in between fails the confirmation
// instead of being signalled. It returns a nil process when nothing runs.
func openDaemon(ctx context.Context, paths config.Paths, limit time.Duration, res *StopResult, p Progress) (*platform.Process, platform.PidInfo, error) {
	var proc *platform.Process
	var info platform.PidInfo
	// What is being waited for, for the message if time runs out.
	var closedSince time.Time
	var closed error
	exiting := false
	err := wait.Until(ctx, PollEvery, limit, func() (bool, error) {
		st, err := Inspect(paths)
		if err != nil {
			return true, err
		}
		if st.Stale != nil {
			res.Stale = st.Stale
		}
		if !st.Running {
			return true, nil
		}
		// Starting: the lock is held but no pid file is written yet.
		starting := st.Info == nil && st.InfoErr == nil
		d, err := Identify(ctx, paths, st)
		var idErr *platform.IdentityError
		exiting = errors.Is(err, platform.ErrNotLocked)
		switch {
		case exiting:
			return false, nil // it is exiting, or exited just now: look again
		case starting && errors.As(err, &idErr) && idErr.HolderPID == 0:
			return false, nil // no kernel to ask: wait for the pid file
		case errors.Is(err, client.ErrNotRunning), errors.Is(err, client.ErrNoAnswer):
			// Nothing signals a process that cannot prove itself; one
			// that no longer answers at its address may be stopping.
			if closedSince.IsZero() {
				closedSince = time.Now()
			}
			waited := time.Since(closedSince)
			closed = fmt.Errorf("after waiting %.0fs for pid %d to exit: %w", waited.Seconds(), st.Info.PID, err)
			p.show("cco daemon (pid %d) no longer answers at %s:%d; waiting for it to exit ... %.1fs", st.Info.PID, st.Info.Host, st.Info.Port, waited.Seconds())
			if waited > closedGrace {
				return true, closed
			}
			return false, nil
		case err != nil:
			return true, err
		}
		opened, ok := openConfirmed(ctx, paths, st, d)
		if !ok {
			return false, nil // changing hands: look again
		}
		proc, info = opened, platform.PidInfo{PID: d.PID}
		if st.Info != nil && !d.PidFileWrong {
			info = *st.Info
		}
		switch {
		case st.InfoErr != nil:
			res.PidFileErr = st.InfoErr
		case d.PidFileWrong && !starting:
			res.WrongPidFile = d.PidFilePID
		}
		return true, nil
	})
	switch {
	case errors.Is(err, wait.ErrTimeout) && exiting:
		return nil, info, fmt.Errorf("the cco daemon holding %s is still exiting after %s; run 'cco status' to see when it has gone", paths.Lock, limit)
	case errors.Is(err, wait.ErrTimeout) && closed != nil:
		return nil, info, closed
	case errors.Is(err, wait.ErrTimeout):
		return nil, info, fmt.Errorf("a cco daemon holds %s but has written no pid file yet; try again once it has started", paths.Lock)
	}
	return proc, info, err
}

// openConfirmed opens a handle on d and confirms, through it, that it is
// still the daemon: a PID reused between Identify and the open fails here.
func openConfirmed(ctx context.Context, paths config.Paths, st platform.State, d platform.Daemon) (*platform.Process, bool) {
	proc, err := platform.OpenProcess(d.PID)
	if err != nil {
		return nil, false
	}
	again, err := Identify(ctx, paths, st)
	if err != nil || again.PID != proc.PID() || proc.Exited() {
		proc.Close()
		return nil, false
	}
	return proc, true
}

// stopped reports whether the daemon is gone: its lock is free (checking
// cleans the pid file a killed daemon leaves), or the process has exited
// and another daemon, confirmed as such, already holds the lock anew (a
// service manager's restart, a racing start). "Stopped" is never said of
// a lock still held by the process that was signalled, or by nobody known.
func stopped(proc *platform.Process, paths config.Paths) (bool, error) {
	// Exited first: a process's files (and so its lock) are closed before
	// it counts as exited, so the inspection after sees the lock free.
	exited := proc.Exited()
	st, err := Inspect(paths)
	if err != nil || !st.Running {
		return !st.Running, err
	}
	if !exited {
		return false, nil
	}
	d, err := platform.Identify(paths.Lock, st.Info)
	return err == nil && d.PID != proc.PID(), nil
}
