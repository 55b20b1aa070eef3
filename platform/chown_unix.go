//go:build unix

package platform

import (
	"io/fs"
	"os"
	"syscall"
)

// ChownLike gives path the owner and group of like, when this process is
// root and they differ: a file root writes into a user's directory (sudo
// keeping HOME) must stay the user's. Best effort: a failure leaves the
// file as written.
func ChownLike(path string, like fs.FileInfo) {
	if like == nil || os.Geteuid() != 0 {
		return
	}
	if st, ok := like.Sys().(*syscall.Stat_t); ok && (st.Uid != 0 || st.Gid != 0) {
		_ = os.Lchown(path, int(st.Uid), int(st.Gid))
	}
}
