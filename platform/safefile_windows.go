package platform

import (
	"io/fs"
	"os"
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
	return os.OpenFile(path, flag, regularPerm)
}

func isLoop(err error) bool { return false }

const noFollowFlags = 0
