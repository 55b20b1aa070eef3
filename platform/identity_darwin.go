package platform

import (
	"bytes"
	"fmt"

	"golang.org/x/sys/unix"
)

// IdentityOf asks the kernel (sysctl) for the process's start time and the
// path it was executed from.
func IdentityOf(p *Process) (ProcIdentity, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", p.pid)
	if err != nil {
		return ProcIdentity{}, fmt.Errorf("reading pid %d: %w", p.pid, err)
	}
	if kp.Proc.P_pid != int32(p.pid) {
		return ProcIdentity{}, ErrProcessGone
	}
	start := fmt.Sprintf("tv:%d.%06d", kp.Proc.P_starttime.Sec, kp.Proc.P_starttime.Usec)
	// kern.procargs2: argc (4 bytes), then the executable's path.
	raw, err := unix.SysctlRaw("kern.procargs2", p.pid)
	if err != nil || len(raw) < 5 {
		return ProcIdentity{}, fmt.Errorf("reading the executable of pid %d: %v", p.pid, err)
	}
	exe := raw[4:]
	if i := bytes.IndexByte(exe, 0); i >= 0 {
		exe = exe[:i]
	}
	return ProcIdentity{Exe: string(exe), Start: start}, nil
}

// runsDaemon is used only with a lock holder from the kernel, which macOS
// does not give.
func runsDaemon(pid int) (bool, string) { return false, "unknown" }

// zombie reports whether pid has exited and waits to be reaped.
func zombie(pid int) bool {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	const szomb = 5 // SZOMB in <sys/proc.h>
	return err == nil && kp.Proc.P_pid == int32(pid) && kp.Proc.P_stat == szomb
}
