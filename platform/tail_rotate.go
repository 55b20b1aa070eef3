package platform

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// backupTimeFormat is how lumberjack stamps a rotated file:
// daemon.log becomes daemon-2006-01-02T15-04-05.000.log. The stamps sort
// as text in time order.
const backupTimeFormat = "2006-01-02T15-04-05.000"

// checkRotation moves to the new file when the log was rotated, and back
// to the start when it was truncated.
func (t *Tail) checkRotation(w io.Writer) error {
	cur, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.path, err)
	}
	id, err := idOfPath(t.path)
	if err == nil && t.id.same(id) {
		if cur.Size() < t.off {
			fmt.Fprintf(t.Notice, "%s was truncated; following it from its start\n", t.path)
			t.off, t.partial = 0, t.partial[:0]
		}
		return nil
	}
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, errOpenBusy) {
		return nil // between the rename and the new file: next time
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", t.path, err)
	}
	// Rotated. Finish the old file, then any files rotated after it.
	if err := t.drain(w); err != nil {
		return err
	}
	if err := t.flushPartial(w); err != nil {
		return err
	}
	next, err := openShared(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", t.path, err)
	}
	// Listed after opening the new file, so every file rotated before it
	// was created is in the list.
	curName, ok := t.nameOf(t.id)
	if !ok {
		// The old file was rotated and already pruned (log_max_files).
		// It was rotated after its last write, and every later file after
		// that: its modification time still orders it among the others.
		curName = t.backupName(cur.ModTime())
		fmt.Fprintf(t.Notice, "%s rotated faster than it could be followed and old files were pruned; lines may have been missed\n", t.path)
	}
	nextID, err := idOf(next)
	if err == nil {
		err = t.readRotatedAfter(w, curName, nextID)
	}
	if err != nil {
		next.Close()
		return err
	}
	t.f.Close()
	t.f, t.id, t.off = next, nextID, 0
	return t.drain(w)
}

// backupParts are the name parts of t.path's rotated files:
// PREFIX-STAMP.EXT.
func (t *Tail) backupParts() (prefix, ext string) {
	base := filepath.Base(t.path)
	ext = filepath.Ext(base)
	return strings.TrimSuffix(base, ext) + "-", ext
}

// backupName is the name a file rotated at tm would have.
func (t *Tail) backupName(tm time.Time) string {
	prefix, ext := t.backupParts()
	return prefix + tm.UTC().Format(backupTimeFormat) + ext
}

// backups are the rotated files of t.path, oldest first.
func (t *Tail) backups() ([]string, error) {
	dir := filepath.Dir(t.path)
	prefix, ext := t.backupParts()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, ext) {
			continue
		}
		stamp := strings.TrimSuffix(strings.TrimPrefix(n, prefix), ext)
		if _, err := time.Parse(backupTimeFormat, stamp); err == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// nameOf finds the rotated name the file id now has.
func (t *Tail) nameOf(id fileID) (string, bool) {
	names, err := t.backups()
	if err != nil {
		return "", false
	}
	dir := filepath.Dir(t.path)
	for _, n := range names {
		if bid, err := idOfPath(filepath.Join(dir, n)); err == nil && id.same(bid) {
			return n, true
		}
	}
	return "", false
}

// readRotatedAfter writes, oldest first, the rotated files newer than
// after, stopping at nextID (the file being switched to) if it was itself
// rotated meanwhile.
func (t *Tail) readRotatedAfter(w io.Writer, after string, nextID fileID) error {
	names, err := t.backups()
	if err != nil {
		return err
	}
	dir := filepath.Dir(t.path)
	for _, n := range names {
		if n <= after {
			continue
		}
		f, err := openShared(filepath.Join(dir, n))
		if err != nil {
			fmt.Fprintf(t.Notice, "rotated log %s could not be read (%v); lines may have been missed\n", n, err)
			continue
		}
		if id, err := idOf(f); err == nil && id.same(nextID) {
			f.Close()
			return nil
		}
		lw := &lastByteWriter{w: w}
		_, err = io.Copy(lw, f)
		f.Close()
		if err != nil {
			return err
		}
		// A rotated file ends with a whole line unless a writer died mid-line.
		if lw.n > 0 && lw.last != '\n' {
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastByteWriter remembers the last byte written through it.
type lastByteWriter struct {
	w    io.Writer
	n    int64
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.n += int64(n)
		l.last = p[n-1]
	}
	return n, err
}
