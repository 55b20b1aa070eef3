package platform

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// openNoBlock checks the path before opening it: Windows has no O_NOFOLLOW
// and no FIFOs in the file system, so a reparse point (a symbolic link) is
// the one thing to refuse.
func openNoBlock(path string, flag int, follow Follow) (*os.File, error) {
	if !follow {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, linkRefused(path)
		}
	}
	if flag == os.O_RDONLY {
		return openReading(path)
	}
	return os.OpenFile(path, flag, regularPerm)
}

// openReading opens path to read, sharing delete as well: os.Open does
// not, so while one cco process read daemon.pid or config.toml, another
// could neither remove it (the daemon at exit: its pid file was left
// behind) nor rename a new one over it (an atomic write).
func openReading(path string) (*os.File, error) {
	return createShared(path, windows.GENERIC_READ, windows.OPEN_EXISTING)
}

func isLoop(err error) bool { return false }

const noFollowFlags = 0
