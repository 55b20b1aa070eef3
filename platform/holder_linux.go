package platform

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LockHolder is the PID of the process holding path's exclusive lock, as
// the kernel reports it in /proc/locks: the one fact about who the daemon
// is that a pid file cannot forge. It is 0 when nobody holds it, and
// ErrHolderUnknown when the kernel lists no holder although the lock is
// held (a file system whose device numbers /proc/locks spells otherwise).
func LockHolder(path string) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("checking the lock %s: %w", path, err)
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/locks to find who holds %s: %w", path, err)
	}
	defer f.Close()
	dev := fmt.Sprintf("%02x:%02x:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)), st.Ino)
	ino := ":" + strconv.FormatUint(st.Ino, 10)
	exact, byInode := 0, map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "12: FLOCK  ADVISORY  WRITE 4321 fd:01:98765 0 EOF"; waiters
		// ("12: -> FLOCK ...") hold nothing.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[3] != "WRITE" {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || pid <= 0 {
			continue
		}
		switch {
		case fields[5] == dev:
			exact = pid
		case strings.HasSuffix(fields[5], ino):
			byInode[pid] = true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading /proc/locks: %w", err)
	}
	if exact != 0 {
		return exact, nil
	}
	// Some file systems (btrfs subvolumes, overlays) report another device
	// in stat than in /proc/locks; the inode alone is then enough when it
	// names one process.
	if len(byInode) == 1 {
		for pid := range byInode {
			return pid, nil
		}
	}
	held, err := heldExclusively(path)
	if err != nil {
		return 0, err
	}
	if held {
		return 0, ErrHolderUnknown
	}
	return 0, nil
}
