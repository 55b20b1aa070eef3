package platform

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Tail reads the end of a log and follows it across rotation and
// truncation. It never reads a file whole: the last lines are found by
// reading blocks backwards from the end, then streamed out.
type Tail struct {
	path    string
	f       *os.File
	id      fileID // f's identity, read once: it is the same file however renamed
	off     int64  // next byte of f to read
	partial []byte // a line begun but not yet ended
	// Notice receives one-line remarks (truncation, rotation gaps).
	Notice io.Writer
}

const tailBlock = 64 << 10

// maxPartial bounds a line with no end in sight (a file of NULs, say):
// past it the bytes are written out rather than held.
const maxPartial = 1 << 20

// OpenTail opens path for tailing.
func OpenTail(path string) (*Tail, error) {
	f, err := openShared(path)
	if err != nil {
		return nil, err
	}
	id, err := idOf(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return &Tail{path: path, f: f, id: id, Notice: io.Discard}, nil
}

// Close closes the file being read.
func (t *Tail) Close() error { return t.f.Close() }

// Last writes the last n lines of the file as it is now. A final line
// without its newline is written too unless following, when it is held
// back until it is complete so that Follow never splits or repeats it.
func (t *Tail) Last(w io.Writer, n int, following bool) error {
	fi, err := t.f.Stat()
	if err != nil {
		return err
	}
	end := fi.Size()
	if following {
		if end, err = t.lastNewline(end); err != nil {
			return err
		}
	}
	start, err := t.startOfLastLines(end, n)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, io.NewSectionReader(t.f, start, end-start)); err != nil {
		return err
	}
	t.off = end
	return nil
}

// lastNewline is the offset just past the last newline before end (0 if
// there is none): the end of the last complete line.
func (t *Tail) lastNewline(end int64) (int64, error) {
	floor := max(end-maxPartial, 0)
	buf := make([]byte, tailBlock)
	for pos := end; pos > floor; {
		size := min(int64(len(buf)), pos-floor)
		pos -= size
		if _, err := t.f.ReadAt(buf[:size], pos); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:size], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
	}
	if floor > 0 {
		return end, nil // a line longer than maxPartial: follow from here
	}
	return 0, nil
}

// startOfLastLines walks back from end to where the last n lines begin,
// but never further than n lines of maxPartial bytes: a file with no
// newlines (gigabytes of NULs) is not a log to print whole.
func (t *Tail) startOfLastLines(end int64, n int) (int64, error) {
	if n <= 0 {
		return end, nil
	}
	floor := max(end-int64(n)*maxPartial, 0)
	buf := make([]byte, tailBlock)
	newlines := 0
	for pos := end; pos > floor; {
		size := min(int64(len(buf)), pos-floor)
		pos -= size
		block := buf[:size]
		if _, err := t.f.ReadAt(block, pos); err != nil {
			return 0, err
		}
		for i := len(block) - 1; i >= 0; i-- {
			if block[i] != '\n' || pos+int64(i) == end-1 {
				continue // the newline ending the last line starts no line
			}
			if newlines++; newlines == n {
				return pos + int64(i) + 1, nil
			}
		}
	}
	return floor, nil
}

// Follow writes what is appended to the log until ctx is done, checking
// every interval. When the log is rotated (renamed away and created anew,
// as lumberjack does) the old file is read to its end, then any rotated
// files written in between, then the new file from its start, so no line
// is lost or repeated; when it is truncated, reading restarts at its start.
func (t *Tail) Follow(ctx context.Context, w io.Writer, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := t.drain(w); err != nil {
			return err
		}
		if err := t.checkRotation(w); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// drain writes the complete lines appended to the current file.
func (t *Tail) drain(w io.Writer) error {
	buf := make([]byte, tailBlock)
	for {
		n, err := t.f.ReadAt(buf, t.off)
		if n > 0 {
			t.off += int64(n)
			if werr := t.emit(w, buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", t.path, err)
		}
	}
}

// emit writes the complete lines of partial+p and keeps the rest.
func (t *Tail) emit(w io.Writer, p []byte) error {
	t.partial = append(t.partial, p...)
	i := bytes.LastIndexByte(t.partial, '\n')
	if i < 0 && len(t.partial) < maxPartial {
		return nil
	}
	cut := i + 1
	if i < 0 {
		cut = len(t.partial)
	}
	if _, err := w.Write(t.partial[:cut]); err != nil {
		return err
	}
	t.partial = append(t.partial[:0], t.partial[cut:]...)
	return nil
}

// flushPartial ends a file whose last line never got its newline.
func (t *Tail) flushPartial(w io.Writer) error {
	if len(t.partial) == 0 {
		return nil
	}
	_, err := w.Write(append(t.partial, '\n'))
	t.partial = t.partial[:0]
	return err
}

// LogSince returns the last n lines the log gained after offset (its size
// before a start began), or its last n lines when it is smaller than
// offset now (it was rotated meanwhile). It reads only the end of the file.
func LogSince(path string, offset int64, n int) []string {
	t, err := OpenTail(path)
	if err != nil {
		return nil
	}
	defer t.Close()
	fi, err := t.f.Stat()
	if err != nil {
		return nil
	}
	end := fi.Size()
	start, err := t.startOfLastLines(end, n)
	if err != nil {
		return nil
	}
	if offset > start && offset <= end {
		start = offset
	}
	b, err := io.ReadAll(io.NewSectionReader(t.f, start, end-start))
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// FileSize is path's size, 0 when it cannot be read.
func FileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
