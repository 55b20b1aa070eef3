package platform

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// fileID identifies a log file while lumberjack renames it: its file index
// alone. os.SameFile also compares the volume serial, which Wine reports
// as 0 for a handle whose file was renamed since it was opened, so the
// file being followed stopped being itself and was read again from its
// start. A log and its rotated files share one directory, so one volume.
type fileID struct{ hi, lo uint32 }

func (a fileID) same(b fileID) bool { return a == b }

// idOf is the identity of the open file f.
func idOf(f *os.File) (fileID, error) {
	var d windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &d); err != nil {
		return fileID{}, &os.PathError{Op: "GetFileInformationByHandle", Path: f.Name(), Err: err}
	}
	return fileID{d.FileIndexHigh, d.FileIndexLow}, nil
}

// idOfPath is the identity of the file at path now, read through a handle
// that shares everything (os.SameFile's own open shares nothing).
func idOfPath(path string) (fileID, error) {
	f, err := openShared(path)
	if busy(err) {
		return fileID{}, fmt.Errorf("%w: %w", errOpenBusy, err)
	}
	if err != nil {
		return fileID{}, err
	}
	defer f.Close()
	return idOf(f)
}
