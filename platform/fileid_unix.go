//go:build unix

package platform

import "os"

// fileID identifies a file while it is renamed: on Unix, what os.SameFile
// compares (device and inode).
type fileID struct{ fi os.FileInfo }

func (a fileID) same(b fileID) bool { return os.SameFile(a.fi, b.fi) }

// idOf is the identity of the open file f.
func idOf(f *os.File) (fileID, error) {
	fi, err := f.Stat()
	return fileID{fi}, err
}

// idOfPath is the identity of the file at path now.
func idOfPath(path string) (fileID, error) {
	fi, err := os.Stat(path)
	return fileID{fi}, err
}
