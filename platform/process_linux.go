package platform

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// processHandle is a pidfd, or -1 on kernels older than 5.3 where the
// plain PID is the best there is.
type processHandle struct{ fd int }

// OpenProcess opens a pidfd for pid.
func OpenProcess(pid int) (*Process, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case errors.Is(err, unix.ESRCH):
		return nil, ErrProcessGone
	case errors.Is(err, unix.ENOSYS):
		if unix.Kill(pid, 0) == unix.ESRCH {
			return nil, ErrProcessGone
		}
		return &Process{pid: pid, h: processHandle{fd: -1}}, nil
	case err != nil:
		return nil, fmt.Errorf("opening process %d: %w", pid, err)
	}
	return &Process{pid: pid, h: processHandle{fd: fd}}, nil
}

func (p *Process) signal(sig unix.Signal) error {
	var err error
	if p.h.fd >= 0 {
		err = unix.PidfdSendSignal(p.h.fd, sig, nil, 0)
	} else {
		err = unix.Kill(p.pid, sig)
	}
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

// Exited reports whether the process has ended: a pidfd turns readable
// when its process exits.
func (p *Process) Exited() bool {
	if p.h.fd < 0 {
		return unix.Kill(p.pid, 0) == unix.ESRCH
	}
	fds := []unix.PollFd{{Fd: int32(p.h.fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}

// Close releases the handle.
func (p *Process) Close() error {
	if p.h.fd >= 0 {
		err := unix.Close(p.h.fd)
		p.h.fd = -1
		return err
	}
	return nil
}
