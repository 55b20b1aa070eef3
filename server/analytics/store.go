// Package analytics records one row per proxied call in SQLite and answers
// the usage questions asked of it (/api/stats, cco stats). Rows are written
// by a background batch writer so that recording never delays a response.
package analytics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/anthropics/cco/platform"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// Store is the usage database.
type Store struct {
	db       *sql.DB
	path     string
	sourceID string
	file     os.FileInfo // the file opened, to notice it being removed or replaced
	// MovedAside is where a corrupt database found at path was moved
	// before a new one was created ("" when none was).
	MovedAside string
}

// openStore opens (creating if needed) the database at path, in WAL mode,
// checks it is intact and brings its schema up to date.
func openStore(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the directory of the usage database %s: %w", path, err)
	}
	if err := makePrivate(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("opening the usage database %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.quickCheck(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("checking the usage database %s: %w", path, err)
	}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the usage database %s: %w", path, err)
	}
	if err := s.loadSourceID(context.Background(), true); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing the usage database %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		s.file = fi
	}
	return s, nil
}

// makePrivate creates the database file 0600 before SQLite opens it, or
// makes an existing one private: SQLite creates its -wal and -shm files
// with the database file's mode, so a file it created itself (0644) would
// leave the usage journal readable by others from the first run on. Only a
// regular file of the user's that is an SQLite database (or empty) is
// chmodded: database_url may name any path, and cco changes no file it
// did not make.
func makePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating the usage database %s: %w", path, err)
	}
	if err := platform.CheckRegular(path, platform.FollowLinks); err != nil {
		return fmt.Errorf("opening the usage database: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("checking the usage database %s: %w", path, err)
	}
	if !platform.OwnedByMe(fi) {
		return fmt.Errorf("the usage database %s belongs to %s; choose a database of your own with database_url", path, platform.Owner(fi))
	}
	if fi.Size() > 0 && !isSQLite(path) {
		return nil // Open moves it aside, as it is
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || !platform.OwnedByMe(fi) {
			continue
		}
		if err := os.Chmod(p, 0o600); err != nil {
			return fmt.Errorf("making the usage database %s private: %w", p, err)
		}
	}
	return nil
}

// isSQLite reports whether path starts with SQLite's file header.
func isSQLite(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := io.ReadFull(f, head)
	return n == 16 && string(head) == "SQLite format 3\x00"
}

// OpenReadOnly opens an existing database for queries only (cco stats when
// no daemon is running); it never creates or migrates anything.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening the usage database %s: %w", path, err)
	}
	if err := platform.CheckRegular(path, platform.FollowLinks); err != nil {
		return nil, fmt.Errorf("opening the usage database: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("opening the usage database %s: %w", path, err)
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("reading the usage database %s: %w", path, err)
	}
	if v == 0 {
		db.Close()
		return nil, fmt.Errorf("the usage database %s has no cco schema (has the daemon ever run?)", path)
	}
	if v > len(migrations) {
		db.Close()
		return nil, fmt.Errorf("the usage database %s has schema version %d, newer than this cco knows (%d); use a newer cco", path, v, len(migrations))
	}
	s := &Store{db: db, path: path}
	if v >= 4 {
		if err := s.loadSourceID(context.Background(), false); err != nil {
			db.Close()
			return nil, fmt.Errorf("reading the usage database %s: %w", path, err)
		}
	}
	return s, nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	if readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	q.Add("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// CheckWritable proves the database still accepts writes, and that the file
// the daemon opened is still the one at its path: a database removed or
// replaced under a running daemon would swallow every row written to it.
func (s *Store) CheckWritable(ctx context.Context) error {
	if s.file != nil {
		fi, err := os.Stat(s.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("the usage database %s was removed while the daemon was running", s.path)
		case err != nil:
			return fmt.Errorf("checking the usage database %s: %w", s.path, err)
		case !os.SameFile(fi, s.file):
			return fmt.Errorf("the usage database %s was replaced by another file while the daemon was running", s.path)
		}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO health(id, checked_at) VALUES(1, ?)
		ON CONFLICT(id) DO UPDATE SET checked_at = excluded.checked_at`, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("writing to the usage database %s: %w", s.path, err)
	}
	return nil
}
