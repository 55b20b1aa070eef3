//go:build unix

package testkit

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// Kill sends SIGKILL to pid, a process the test started but is not
// necessarily the parent of (a detached daemon, a PostgreSQL server).
func Kill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }

// Alive reports whether pid runs. A process that is not our child may stay
// a zombie for a while after it has exited, until its reaper gets to it:
// that counts as gone.
func Alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name, which is in parentheses.
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
