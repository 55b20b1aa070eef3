package platform

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

func pidSelf() int { return os.Getpid() }

// IdentityOf reads the image path and creation time through the handle,
// which pins the process: a PID reused after the handle was opened cannot
// answer in its place.
func IdentityOf(p *Process) (ProcIdentity, error) {
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(p.h.h, &created, &exited, &kernel, &user); err != nil {
		return ProcIdentity{}, fmt.Errorf("reading the start time of pid %d: %w", p.pid, err)
	}
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(p.h.h, 0, &buf[0], &n); err != nil {
		return ProcIdentity{}, fmt.Errorf("reading the executable of pid %d: %w", p.pid, err)
	}
	return ProcIdentity{Exe: windows.UTF16ToString(buf[:n]), Start: fmt.Sprintf("ft:%d", created.Nanoseconds())}, nil
}

// runsDaemon is used only with a lock holder from the kernel, which Windows
// does not give.
func runsDaemon(pid int) (bool, string) { return false, "unknown" }
