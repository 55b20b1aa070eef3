//go:build unix

package platform

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openNoBlock opens with O_NONBLOCK, so that a FIFO never blocks the open
// (the caller refuses it right after), and O_NOFOLLOW unless links are
// followed. O_NONBLOCK means nothing to a regular file's reads and writes.
func openNoBlock(path string, flag int, follow Follow) (*os.File, error) {
	flag |= unix.O_NONBLOCK | unix.O_CLOEXEC
	if !follow {
		flag |= unix.O_NOFOLLOW
	}
	return os.OpenFile(path, flag, regularPerm)
}

// isLoop is how O_NOFOLLOW reports a symbolic link.
func isLoop(err error) bool { return errors.Is(err, unix.ELOOP) }

// noFollowFlags are added to opens of cco's own files made by libraries
// that take open flags (the lock).
const noFollowFlags = unix.O_NOFOLLOW | unix.O_NONBLOCK
