package platform

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockHolder is the PID of the process holding path's exclusive lock: one
// that /proc/locks lists with a write lock on the file's inode, and that
// has path itself open (/proc/PID/fd), which a pid file cannot forge. The
// second check matters: /proc/locks names the process that took the lock,
// which may have exited leaving it to a child, and matches by inode number
// only where file systems report devices differently (btrfs, overlays),
// and inode numbers repeat across file systems. It is 0 when nobody holds
// the lock, ErrHolderExiting when the holder is in the middle of exiting,
// and ErrHolderUnknown when the lock is held but no listed process is seen
// holding this file.
func LockHolder(path string) (int, error) {
	held, err := heldExclusively(path)
	if err != nil || !held {
		return 0, err
	}
	want, err := os.Lstat(path)
	if err != nil {
		return 0, fmt.Errorf("checking the lock %s: %w", path, err)
	}
	canon, err := filepath.EvalSymlinks(path)
	if err != nil {
		return 0, fmt.Errorf("checking the lock %s: %w", path, err)
	}
	candidates, err := flockWriters(inodeOf(want))
	if err != nil {
		return 0, err
	}
	for _, pid := range candidates {
		if holdsOpen(pid, want, canon) {
			// An exiting process drops its memory (its command line and
			// executable read as nothing) before it closes its files:
			// it is the holder, but can no longer be told to be cco.
			if processExiting(pid) {
				return 0, ErrHolderExiting
			}
			return pid, nil
		}
	}
	// The holder may have let go since the lock was tried, or be exiting:
	// the kernel closes an exiting process's files before it releases
	// their locks, and a process whose first thread has exited lists no
	// files under /proc/PID/fd while its other threads still hold them.
	if held, err := heldExclusively(path); err != nil || !held {
		return 0, err
	}
	for _, pid := range candidates {
		if processExiting(pid) {
			return 0, ErrHolderExiting
		}
	}
	return 0, ErrHolderUnknown
}

// flockWriters are the PIDs /proc/locks lists with an exclusive flock on
// an inode numbered ino, on any device.
func flockWriters(ino uint64) ([]int, error) {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil, fmt.Errorf("reading /proc/locks to find who holds the lock: %w", err)
	}
	defer f.Close()
	suffix := ":" + strconv.FormatUint(ino, 10)
	var pids []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "12: FLOCK  ADVISORY  WRITE 4321 fd:01:98765 0 EOF"; waiters
		// ("12: -> FLOCK ...") hold nothing.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[3] != "WRITE" || !strings.HasSuffix(fields[5], suffix) {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading /proc/locks: %w", err)
	}
	return pids, nil
}

// holdsOpen reports whether pid has the file want open under the path
// canon: the same file (device and inode) reached by the same name, so
// that a hard link to the lock elsewhere does not count as this lock.
func holdsOpen(pid int, want os.FileInfo, canon string) bool {
	if hasOpen(fmt.Sprintf("/proc/%d/fd", pid), want, canon) {
		return true
	}
	// A thread group whose first thread has exited shows its files only
	// under its remaining threads.
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/fd", pid))
	for _, dir := range tasks {
		if hasOpen(dir, want, canon) {
			return true
		}
	}
	return false
}

// hasOpen reports whether the fd directory dir has want open as canon.
func hasOpen(dir string, want os.FileInfo, canon string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		fd := filepath.Join(dir, e.Name())
		fi, err := os.Stat(fd)
		if err != nil || !os.SameFile(fi, want) {
			continue
		}
		if link, err := os.Readlink(fd); err == nil && link == canon {
			return true
		}
	}
	return false
}

// processExiting reports whether pid is part-way through exiting: every thread
// of it is flagged as exiting and one has not yet finished. Such a process
// drops its memory, then closes its files, then releases their locks, and
// cannot be told to be cco meanwhile. A zombie, whose
// threads have all finished, released its locks already and is not
// exiting: a lock it is listed with was left to another process.
func processExiting(pid int) bool {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	var threads []string
	for _, p := range stats {
		if b, err := os.ReadFile(p); err == nil {
			threads = append(threads, string(b))
		}
	}
	return threadsExiting(threads)
}

// pfExiting is the kernel's PF_EXITING task flag.
const pfExiting = 0x4

// threadsExiting decides exiting from the threads' /proc stat lines.
func threadsExiting(stats []string) bool {
	running := false
	for _, line := range stats {
		// "pid (comm) state ppid pgrp session tty tpgid flags ...": comm
		// may hold spaces and parentheses, so fields count from the last ')'.
		i := strings.LastIndexByte(line, ')')
		if i < 0 {
			return false
		}
		f := strings.Fields(line[i+1:])
		if len(f) < 7 {
			return false
		}
		flags, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil || flags&pfExiting == 0 {
			return false
		}
		if f[0] != "Z" && f[0] != "X" && f[0] != "x" {
			running = true
		}
	}
	return running
}
