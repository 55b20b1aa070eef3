//go:build unix && !linux

package platform

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// processHandle is the plain PID: these systems have no pidfd. The window
// between confirming the daemon by its lock and signalling it is the only
// one in which a reused PID could be hit.
type processHandle struct{}

// OpenProcess checks that pid exists.
func OpenProcess(pid int) (*Process, error) {
	if unix.Kill(pid, 0) == unix.ESRCH {
		return nil, ErrProcessGone
	}
	return &Process{pid: pid}, nil
}

func (p *Process) signal(sig unix.Signal) error {
	err := unix.Kill(p.pid, sig)
	if errors.Is(err, unix.ESRCH) {
		return ErrProcessGone
	}
	if err != nil {
		return fmt.Errorf("sending %s to process %d: %w", unix.SignalName(sig), p.pid, err)
	}
	return nil
}

// Terminate asks the process to stop (SIGTERM).
func (p *Process) Terminate() error { return p.signal(unix.SIGTERM) }

// Kill ends the process (SIGKILL).
func (p *Process) Kill() error { return p.signal(unix.SIGKILL) }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool { return unix.Kill(p.pid, 0) == unix.ESRCH }

// Close releases the handle.
func (p *Process) Close() error { return nil }
