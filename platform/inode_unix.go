//go:build unix

package platform

import (
	"os"
	"syscall"
)

// inodeOf is a file's inode number (0 when the OS does not say).
func inodeOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
