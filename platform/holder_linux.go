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
// the lock, and ErrHolderUnknown when the lock is held but no listed
// process is seen holding this file.
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
			return pid, nil
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
	dir := fmt.Sprintf("/proc/%d/fd", pid)
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
