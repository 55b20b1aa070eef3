package analytics

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Open opens (creating if needed) the usage database at path, in WAL mode,
// and brings its schema up to date. A file that is not an SQLite database,
// or one that is damaged (truncated, overwritten), is never deleted and
// never kept in use: it is moved aside, with its -wal and -shm files, to
// PATH.corrupt-TIMESTAMP, and a new database is created; Store.MovedAside
// says where, so the daemon can warn. Losing the usage history is better
// than a daemon that cannot start, or one that fails every write.
func Open(path string) (*Store, error) {
	s, err := openStore(path)
	if err == nil || !isCorrupt(err) {
		return s, err
	}
	aside, merr := moveAside(path)
	if merr != nil {
		return nil, fmt.Errorf("%w; moving it aside failed: %w", err, merr)
	}
	s, err = openStore(path)
	if err != nil {
		return nil, fmt.Errorf("the usage database %s was corrupt and was moved to %s; creating a new one: %w", path, aside, err)
	}
	s.MovedAside = aside
	return s, nil
}

// errCorrupt marks a database that failed its integrity check.
var errCorrupt = errors.New("the database is damaged")

// quickCheck runs PRAGMA quick_check: a truncated or partly overwritten
// file often opens and reads its header fine, then fails every write.
func (s *Store) quickCheck(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
		}
		return fmt.Errorf("%w: %s", errCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// isCorrupt reports whether err says the file is not a database or is
// damaged (SQLITE_NOTADB, SQLITE_CORRUPT), as opposed to an error of
// access, space or locking, which moving the file would not fix.
func isCorrupt(err error) bool {
	if errors.Is(err, errCorrupt) {
		return true
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
			return true
		}
	}
	return false
}

// moveAside renames the database and its journal files to a name that
// says what happened and when; it returns the new name of the database.
func moveAside(path string) (string, error) {
	aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		if _, err := os.Lstat(aside); errors.Is(err, os.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.corrupt-%s-%d", path, time.Now().UTC().Format("20060102T150405Z"), i)
	}
	if err := os.Rename(path, aside); err != nil {
		return "", err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return aside, fmt.Errorf("moving %s aside: %w", path+suffix, err)
		}
	}
	return aside, nil
}
