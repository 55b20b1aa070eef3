package platform

import (
	"os"

	"golang.org/x/sys/windows"
)

// openAppend opens a log for appending with FILE_SHARE_DELETE, so that
// lumberjack can rename (rotate) it while a detached daemon's stdout and
// stderr still point at it; os.OpenFile does not share delete.
func openAppend(path string) (*os.File, error) {
	return openWindows(path, windows.FILE_APPEND_DATA|windows.SYNCHRONIZE, windows.OPEN_ALWAYS)
}

// openShared opens a log for reading without keeping lumberjack from
// rotating it.
func openShared(path string) (*os.File, error) {
	return openWindows(path, windows.GENERIC_READ, windows.OPEN_EXISTING)
}

func openWindows(path string, access, disposition uint32) (*os.File, error) {
	if err := CheckRegular(path, NoFollow); err != nil {
		return nil, err
	}
	return createShared(path, access, disposition)
}

// createShared opens path sharing read, write and delete with every other
// handle: os.OpenFile does not share delete, so while one handle is open
// nobody can rename the file or remove it.
func createShared(path string, access, disposition uint32) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	h, err := windows.CreateFile(p, access, share, nil, disposition, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
