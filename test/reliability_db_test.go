//go:build linux

package test

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the same pure-Go driver the daemon uses
)

// usageDB is analytics.db opened by the test itself (the daemon stopped or
// not), to check what the daemon wrote.
type usageDB struct {
	t  *testing.T
	db *sql.DB
}

func (e *relEnv) openDB() *usageDB {
	e.t.Helper()
	return openUsageDB(e.t, filepath.Join(e.ccoHome, "analytics.db"))
}

func openUsageDB(t *testing.T, path string) *usageDB {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return &usageDB{t: t, db: db}
}

// integrity runs PRAGMA integrity_check and returns "ok" or the problems.
func (u *usageDB) integrity() string {
	u.t.Helper()
	rows, err := u.db.Query("PRAGMA integrity_check")
	if err != nil {
		return "integrity_check failed: " + err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "integrity_check failed: " + err.Error()
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return "integrity_check failed: " + err.Error()
	}
	return strings.Join(out, "; ")
}

// models returns how many rows each model has, for models with prefix.
func (u *usageDB) models(prefix string) map[string]int {
	u.t.Helper()
	rows, err := u.db.Query("SELECT model, COUNT(*) FROM calls WHERE model LIKE ? GROUP BY model", prefix+"%")
	if err != nil {
		u.t.Fatalf("reading calls: %v", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var m string
		var n int
		if err := rows.Scan(&m, &n); err != nil {
			u.t.Fatal(err)
		}
		out[m] = n
	}
	return out
}

// count runs a COUNT(*) query.
func (u *usageDB) count(query string, args ...any) int {
	u.t.Helper()
	var n int
	if err := u.db.QueryRow(query, args...).Scan(&n); err != nil {
		u.t.Fatalf("%s: %v", query, err)
	}
	return n
}
