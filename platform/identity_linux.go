package platform

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// IdentityOf reads /proc for the process behind p. The pidfd keeps the
// answer honest: if the process exited meanwhile, Exited says so.
func IdentityOf(p *Process) (ProcIdentity, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.pid))
	if err != nil {
		return ProcIdentity{}, fmt.Errorf("reading the executable of pid %d: %w", p.pid, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return ProcIdentity{}, fmt.Errorf("reading the start time of pid %d: %w", p.pid, err)
	}
	start, err := statStartTime(stat)
	if err != nil {
		return ProcIdentity{}, fmt.Errorf("reading the start time of pid %d: %w", p.pid, err)
	}
	if p.Exited() {
		return ProcIdentity{}, ErrProcessGone
	}
	return ProcIdentity{Exe: exe, Start: start}, nil
}

// statStartTime is field 22 of /proc/PID/stat (clock ticks after boot).
// The command name before it may hold spaces and parentheses, so fields
// are counted from the last ')'.
func statStartTime(stat []byte) (string, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", fmt.Errorf("unexpected /proc stat format")
	}
	fields := strings.Fields(string(stat[i+1:]))
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return "", fmt.Errorf("unexpected /proc stat format")
	}
	return "ticks:" + fields[19], nil
}

// runsDaemon reports whether pid runs `cco [daemon] run` (by its command
// line, whatever the binary is called), and otherwise what it runs.
func runsDaemon(pid int) (bool, string) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false, fmt.Sprintf("its command line is unreadable: %v", err)
	}
	args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	rest := args[1:]
	if len(rest) > 0 && rest[0] == "daemon" {
		rest = rest[1:]
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if len(rest) > 0 && rest[0] == "run" && strings.HasPrefix(filepath.Base(exe), "cco") {
		return true, ""
	}
	return false, "it runs " + strings.Join(args, " ")
}

// zombie reports whether pid has exited and waits to be reaped: its PID
// cannot be reused until then.
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
