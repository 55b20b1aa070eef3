package platform

import (
	"errors"
	"os"
)

// State is what Inspect found.
type State struct {
	// Running: a daemon holds the lock. Info is nil while it is starting
	// (locked, not yet listening) or when its pid file is unreadable.
	Running bool
	Info    *PidInfo
	// Stale is the pid file Inspect removed because no daemon held the
	// lock: its PID belongs to nobody we may signal.
	Stale *PidInfo
	// StaleUnreadable: a stale pid file that did not even parse was removed.
	StaleUnreadable bool
	// InfoErr: a daemon runs but its pid file does not parse (overwritten
	// or damaged): its pid is unknown and nothing may be signalled.
	InfoErr error
}

// Inspect says whether a daemon runs, by the lock alone, and cleans up a
// stale pid file. The cleanup happens while holding the lock shared, so a
// daemon starting at that moment cannot have its fresh pid file removed.
// It never waits and never signals anything.
func Inspect(lockPath, pidPath string) (State, error) {
	var st State
	free, err := withSharedLock(lockPath, func() error {
		info, err := ReadPidFile(pidPath)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil
		case err != nil:
			st.StaleUnreadable = true
		default:
			st.Stale = &info
		}
		return RemovePidFile(pidPath)
	})
	if err != nil {
		return st, err
	}
	if free {
		return st, nil
	}
	st.Running = true
	info, err := ReadPidFile(pidPath)
	switch {
	case err == nil:
		st.Info = &info
	case !errors.Is(err, os.ErrNotExist):
		st.InfoErr = err
	}
	return st, nil
}
