package platform

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// FileError says why a path cannot be used as the file cco expects there:
// a symbolic link where links are not followed, a FIFO, a device, a
// directory, or a file too large to be what it claims.
type FileError struct {
	Path    string
	Problem string // "is a named pipe (FIFO), not a regular file", ...
	Fix     string
}

func (e *FileError) Error() string {
	if e.Fix == "" {
		return e.Path + " " + e.Problem
	}
	return e.Path + " " + e.Problem + "; " + e.Fix
}

// ErrNotRegular matches every *FileError.
var ErrNotRegular = errors.New("not a regular file")

func (e *FileError) Is(target error) bool { return target == ErrNotRegular }

// describeMode names what a non-regular file is, for messages.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "is a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), not a regular file"
	case m&fs.ModeSocket != 0:
		return "is a socket, not a regular file"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "is a device, not a regular file"
	case m.IsDir():
		return "is a directory, not a file"
	}
	return "is not a regular file"
}

func notRegular(path string, m fs.FileMode) *FileError {
	return &FileError{Path: path, Problem: describeMode(m), Fix: "move it away or remove it"}
}

// linkRefused is the error for a symbolic link where cco keeps a file of its
// own: following it would let whoever planted it choose what cco reads (a
// known token) or writes (any file the user can write).
func linkRefused(path string) *FileError {
	return &FileError{Path: path, Problem: "is a symbolic link; cco never follows links for its own files",
		Fix: "remove the link (cco creates the file itself)"}
}

// Follow says whether OpenRegular may follow a symbolic link at the path.
type Follow bool

const (
	NoFollow    Follow = false // cco's own files in CCO_HOME
	FollowLinks Follow = true  // files the user names or may link (config.toml)
)

const (
	noSizeLimit = -1
	regularPerm = 0o600 // what OpenRegular creates
)

// OpenRegular opens path with flag, refusing, without blocking, anything
// that is not a regular file: a FIFO would hang the open or the read, and
// /dev/zero would never end. With NoFollow a symbolic link is refused too.
// A missing file is an error that wraps fs.ErrNotExist (create with
// os.O_CREATE in flag).
func OpenRegular(path string, flag int, follow Follow) (*os.File, error) {
	f, err := openNoBlock(path, flag, follow)
	if err != nil {
		if isLoop(err) {
			return nil, linkRefused(path)
		}
		// A FIFO opened for writing with no reader fails at once
		// (ENXIO, "no such device or address"): name what is there.
		if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
			return nil, notRegular(path, fi.Mode())
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("checking %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(path, fi.Mode())
	}
	return f, nil
}

// ReadRegular reads a regular file of at most limit bytes (see
// OpenRegular); a larger one is refused by its size before anything is
// read.
func ReadRegular(path string, limit int64, follow Follow) ([]byte, error) {
	f, err := OpenRegular(path, os.O_RDONLY, follow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if limit != noSizeLimit {
		if fi, err := f.Stat(); err == nil && fi.Size() > limit {
			return nil, &FileError{Path: path, Problem: fmt.Sprintf("is %s; the limit is %s", humanBytes(fi.Size()), humanBytes(limit)),
				Fix: "this is not a file cco wrote; move it away"}
		}
	}
	// The size can change under us: never read more than the limit.
	r := io.Reader(f)
	if limit != noSizeLimit {
		r = io.LimitReader(f, limit+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if limit != noSizeLimit && int64(len(data)) > limit {
		return nil, &FileError{Path: path, Problem: fmt.Sprintf("grew past the limit of %s while being read", humanBytes(limit))}
	}
	return data, nil
}

// CheckRegular reports a path that exists but is not a regular file (or is
// a link, with NoFollow). A missing path is fine: the caller creates it.
func CheckRegular(path string, follow Follow) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if !follow {
			return linkRefused(path)
		}
		if fi, err = os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a dangling link: writing replaces it
			}
			return fmt.Errorf("checking %s: %w", path, err)
		}
	}
	if !fi.Mode().IsRegular() {
		return notRegular(path, fi.Mode())
	}
	return nil
}

// humanBytes prints a size in binary units with one decimal: 1.0 GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %ciB", int64(v), "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}
