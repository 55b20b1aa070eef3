package platform

import "errors"

// ErrProcessGone means the process a handle was asked for no longer exists.
var ErrProcessGone = errors.New("the process has exited")

// Process is a handle on one process. Where the OS allows it (a pidfd on
// Linux, a process handle on Windows) the handle stays bound to that very
// process: if it exits and its PID is reused, signals through the handle
// reach nobody instead of the stranger now wearing the PID.
//
// Open a handle, then confirm (by the lock and the pid file) that it is
// the daemon, then signal through it: that order leaves no window in which
// a reused PID could be hit.
type Process struct {
	pid int
	h   processHandle
}

// PID is the process id the handle was opened for.
func (p *Process) PID() int { return p.pid }
