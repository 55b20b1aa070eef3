//go:build !unix

package testkit

import "os"

// Kill ends pid.
func Kill(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// Alive reports whether pid runs: on Windows, FindProcess opens a handle
// only to a process that exists.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

// terminate kills: Windows has no SIGTERM to send another process.
func terminate(p *os.Process) error { return p.Kill() }
