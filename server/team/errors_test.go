package team

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/stretchr/testify/require"
)

// failure starts a shipper on url and returns its status once it has
// failed, checking the password never shows.
func failure(t *testing.T, url, password string) Status {
	t.Helper()
	store := openStore(t, "")
	addRows(t, store, 3, nil)
	sh := startShipper(t, Config{URL: url}, store, fast)
	waitFor(t, "a failure to show", func() bool { return sh.Status().LastError != "" })
	st := sh.Status()
	t.Log(st)
	require.EqualValues(t, 3, st.Pending)
	require.NotNil(t, st.FailingSince)
	require.Positive(t, sh.ShipErrors())
	if password != "" {
		require.NotContains(t, fmt.Sprintf("%+v %s", st, st), password)
	}
	return st
}

func TestFailuresAreExplained(t *testing.T) {
	pg := testkit.StartPostgres(t)

	t.Run("wrong password", func(t *testing.T) {
		st := failure(t, strings.Replace(pg.URL(), pg.Password, "not-the-password", 1), "not-the-password")
		require.Contains(t, st.LastError, `password authentication failed for user "cco"`)
		require.Contains(t, st.LastError, "PGPASSWORD or ~/.pgpass")
		require.False(t, st.Connected)
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close() // nothing listens there now
		st := failure(t, fmt.Sprintf("postgres://cco:%s@127.0.0.1:%d/cco?sslmode=disable", pg.Password, port), pg.Password)
		require.Contains(t, st.LastError, fmt.Sprintf("connection refused by 127.0.0.1:%d (is PostgreSQL running", port))
		require.Contains(t, st.String(), "team: 3 rows pending, database unreachable since ")
		require.False(t, st.Connected)
	})
	t.Run("unknown database", func(t *testing.T) {
		st := failure(t, strings.Replace(pg.URL(), "/cco?", "/nope?", 1), pg.Password)
		require.Contains(t, st.LastError, `database "nope" does not exist (create it, or fix the database name in team_url)`)
	})
	t.Run("schema from the future", func(t *testing.T) {
		pg.Exec(`CREATE DATABASE future OWNER cco`)
		url := strings.Replace(pg.URL(), "/cco?", "/future?", 1)
		c := connect(t, url)
		require.NoError(t, migrate(context.Background(), c))
		_, err := c.Exec(context.Background(), `UPDATE cco_schema SET version = 99`)
		require.NoError(t, err)

		st := failure(t, url, pg.Password)
		want := fmt.Sprintf("the team database schema is newer than this cco: it is at version 99, this cco knows versions up to %d; upgrade cco", SchemaVersion)
		require.Contains(t, st.LastError, want)
		require.True(t, st.Connected, "it was reached; it is its schema that is refused")
		require.Contains(t, st.String(), "shipping failing since")
		var n int64
		require.NoError(t, c.QueryRow(context.Background(), `SELECT count(*) FROM cco_calls`).Scan(&n))
		require.Zero(t, n, "nothing is written into a newer schema")

		_, err = OpenDB(context.Background(), url)
		require.True(t, errors.Is(err, ErrSchemaTooNew), "%v", err)
		require.ErrorContains(t, err, "upgrade cco")
	})
}

// Daemons of a team starting at once all migrate; the advisory lock makes
// them take turns, and each ends on the current version.
func TestConcurrentMigrations(t *testing.T) {
	pg := testkit.StartPostgres(t)
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		c := connect(t, pg.URL())
		go func() { errs <- migrate(context.Background(), c) }()
	}
	for i := 0; i < n; i++ {
		require.NoError(t, <-errs)
	}
	c := connect(t, pg.URL())
	v, err := schemaVersion(context.Background(), c)
	require.NoError(t, err)
	require.Equal(t, SchemaVersion, v)
}
