//go:build unix

package platform

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// processHandle is an *os.Process: on Linux 5.3 and later os.FindProcess
// holds a pidfd, so signals through it reach that very process or nobody;
// elsewhere it is the plain PID, and the window between confirming the
// daemon and signalling it is the only one in which a reused PID could be
// hit.
type processHandle struct{ p *os.Process }

// OpenProcess opens a handle on pid.
func OpenProcess(pid int) (*Process, error) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil, fmt.Errorf("opening process %d: %w", pid, err)
	}
	if err := p.Signal(syscall.Signal(0)); errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		p.Release()
		return nil, ErrProcessGone
	}
	return &Process{pid: pid, h: processHandle{p: p}}, nil
}

func (p *Process) signal(sig syscall.Signal) error {
	err := p.h.p.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) {
		return ErrProcessGone
	}
	if err != nil {
		return fmt.Errorf("sending %v to process %d: %w", sig, p.pid, err)
	}
	return nil
}

// Terminate asks the process to stop (SIGTERM).
func (p *Process) Terminate() error { return p.signal(syscall.SIGTERM) }

// Kill ends the process (SIGKILL).
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL) }

// Exited reports whether the process has ended. A process that has exited
// but not been reaped (a zombie) still takes signals, and has ended.
func (p *Process) Exited() bool {
	err := p.h.p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH) || zombie(p.pid)
}

// Close releases the handle.
func (p *Process) Close() error { return p.h.p.Release() }
