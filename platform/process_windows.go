package platform

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"
)

// processHandle is a Windows process handle: it keeps the process object
// (and so its PID) from being reused while open.
type processHandle struct{ h windows.Handle }

// OpenProcess opens a handle that can wait for and terminate pid.
func OpenProcess(pid int) (*Process, error) {
	h, err := windows.OpenProcess(windows.PROCESS_TERMINATE|windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
		return nil, ErrProcessGone
	}
	if err != nil {
		return nil, fmt.Errorf("opening process %d: %w", pid, err)
	}
	return &Process{pid: pid, h: processHandle{h: h}}, nil
}

// Terminate is not a thing on Windows (there is no SIGTERM): the daemon is
// asked over its authenticated POST /api/shutdown instead.
func (p *Process) Terminate() error { return errors.ErrUnsupported }

// Kill ends the process (TerminateProcess).
func (p *Process) Kill() error {
	if p.Exited() {
		return ErrProcessGone
	}
	if err := windows.TerminateProcess(p.h.h, 1); err != nil {
		return fmt.Errorf("terminating process %d: %w", p.pid, err)
	}
	return nil
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	ev, err := windows.WaitForSingleObject(p.h.h, 0)
	return err == nil && ev == windows.WAIT_OBJECT_0
}

// Close releases the handle.
func (p *Process) Close() error {
	if p.h.h == 0 {
		return nil
	}
	err := windows.CloseHandle(p.h.h)
	p.h.h = 0
	return err
}
