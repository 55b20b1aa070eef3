package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked means another daemon holds the lock: it is running (or starting).
var ErrLocked = errors.New("the daemon lock is held by another process")

// Lock is the daemon's exclusive lock on CCO_HOME/daemon.lock. The kernel
// releases it when the process dies, however it dies, so "the lock is held"
// is the one fact about liveness that a stale pid file or a reused PID
// cannot fake. The lock file itself is never removed: deleting it would let
// two processes lock two different files of the same name.
type Lock struct{ fl *flock.Flock }

// lockRetry bounds how long AcquireLock keeps trying while only probes (a
// status, a stop) hold the lock shared for an instant.
const lockRetry = 2 * time.Second

// AcquireLock takes the lock exclusively without blocking on a daemon that
// holds it: it fails at once with ErrLocked when a daemon holds it, and
// retries briefly when only probes (shared holders) are in the way.
func AcquireLock(path string) (*Lock, error) {
	fl, err := newFlock(path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockRetry)
	for {
		ok, err := fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if ok {
			return &Lock{fl: fl}, nil
		}
		// A shared lock is refused only while someone holds the lock
		// exclusively, and only a daemon does that.
		held, err := heldExclusively(path)
		if err != nil {
			return nil, err
		}
		if held || time.Now().After(deadline) {
			return nil, ErrLocked
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newFlock refuses a lock path that is a link or not a regular file, and
// opens it without following one planted between the check and the open:
// a link would let its planter point cco's lock at any file.
func newFlock(path string) (*flock.Flock, error) {
	if err := CheckRegular(path, NoFollow); err != nil {
		return nil, err
	}
	return flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollowFlags)), nil
}

// LockWait takes path's lock exclusively, waiting up to wait for another
// holder: config set serialises its read-modify-write on it, so that
// concurrent edits never lose one another's keys.
func LockWait(path string, wait time.Duration) (*Lock, error) {
	fl, err := newFlock(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("another process has held %s for %s; try again, or see who holds it with 'fuser %s'", path, wait, path)
	}
	return &Lock{fl: fl}, nil
}

// Release drops the lock; the process exiting would too.
func (l *Lock) Release() error {
	if l == nil || l.fl == nil {
		return nil
	}
	return l.fl.Close()
}

// heldExclusively reports whether a daemon holds the lock now. It takes the
// lock shared for an instant, so probes never get in each other's way.
func heldExclusively(path string) (bool, error) {
	shared, err := withSharedLock(path, func() error { return nil })
	if err != nil {
		return false, err
	}
	return !shared, nil
}

// withSharedLock runs fn while holding the lock shared, so that no daemon
// can start (and write a pid file) meanwhile. It reports false, without
// running fn, when a daemon holds the lock.
func withSharedLock(path string, fn func() error) (bool, error) {
	fl, err := newFlock(path)
	if err != nil {
		return false, err
	}
	ok, err := fl.TryRLock()
	if err != nil {
		return false, fmt.Errorf("checking the lock %s: %w", path, err)
	}
	if !ok {
		return false, nil
	}
	defer fl.Close()
	return true, fn()
}
