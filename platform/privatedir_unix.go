//go:build unix

package platform

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// CheckPrivateDir refuses, the way ssh refuses a loose ~/.ssh, a directory
// that another user owns or that group or others may write: they could
// replace the token, the pid file or the lock there. It never changes the
// directory's mode: a shared directory chmodded by cco (CCO_HOME=/tmp as
// root) would lock every other user out of it.
func CheckPrivateDir(dir string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("CCO_HOME %s is owned by %s, not by you (%s); set CCO_HOME to a directory of your own (unset it for ~/.cco)",
			dir, userName(st.Uid), userName(uint32(uid)))
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("CCO_HOME %s is writable by group or others (mode %04o), who could replace cco's token, pid file or lock there; "+
			"use a directory only you can write (unset CCO_HOME for ~/.cco), or, if it is yours alone, run 'chmod go-w %s'",
			dir, unixMode(fi.Mode()), dir)
	}
	return nil
}

func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return fmt.Sprintf("%s (uid %s)", u.Username, id)
	}
	return "uid " + id
}

// OwnedByMe reports whether the file belongs to this process's user.
func OwnedByMe(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Getuid()
}

// Owner names the file's owner, for messages.
func Owner(fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return userName(st.Uid)
	}
	return "another user"
}

// unixMode is the mode as chmod and stat write it (1777), not Go's
// FileMode string (dtrwxrwxrwx).
func unixMode(m os.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&os.ModeSticky != 0 {
		u |= 0o1000
	}
	if m&os.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&os.ModeSetuid != 0 {
		u |= 0o4000
	}
	return u
}
