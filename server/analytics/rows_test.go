package analytics

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRowsAfterRoundTripsEveryColumn(t *testing.T) {
	s := openTestStore(t, "")
	ts := time.UnixMilli(1767225600123).UTC()
	full := Record{Time: ts, Path: "/v1/messages", Model: "m", Status: 529, Stream: true, Cache: "miss",
		InputTokens: 1, OutputTokens: 2, CacheReadTokens: 3, CacheCreationTokens: 9, Latency: 5 * time.Millisecond,
		TTFB: 6 * time.Millisecond, CostUSD: f64(0.25), SavedUSD: 0.5, Route: "messages", CacheWrite5mTokens: 4,
		CacheWrite1hTokens: 5, SessionID: "sess", Project: "proj", Client: "claude-code", Credential: "oauth",
		Interrupted: true, ErrorType: "overloaded_error"}
	bare := Record{Time: ts.Add(time.Second), Path: "/v1/messages", Status: 200, Cache: "hit"}
	require.NoError(t, s.Insert(context.Background(), []Record{full, bare}))

	rows, err := s.RowsAfter(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []Row{{ID: 1, Record: full}, {ID: 2, Record: bare}}, rows)
	rows, err = s.RowsAfter(context.Background(), 1, 10)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.EqualValues(t, 2, rows[0].ID)
	rows, err = s.RowsAfter(context.Background(), 0, 1)
	require.NoError(t, err)
	require.Len(t, rows, 1, "limit is honoured")
	n, err := s.CountAfter(context.Background(), 1)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

func TestSourceIDIsMadeOncePerDatabase(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(filepath.Join(dir, "a.db"))
	require.NoError(t, err)
	id := a.SourceID()
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), id)
	require.NoError(t, a.Close())
	a, err = Open(filepath.Join(dir, "a.db"))
	require.NoError(t, err)
	require.Equal(t, id, a.SourceID(), "reopening keeps the id")
	require.NoError(t, a.Close())
	ro, err := OpenReadOnly(filepath.Join(dir, "a.db"))
	require.NoError(t, err)
	require.Equal(t, id, ro.SourceID())
	require.NoError(t, ro.Close())

	b := openTestStore(t, filepath.Join(dir, "b.db"))
	require.NotEqual(t, id, b.SourceID(), "another database, another id")
}

// A database made by a cco from before migration 4 keeps its rows, which
// read back with the new columns at their defaults.
func TestMigration4KeepsOldRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	for _, m := range migrations[:3] {
		_, err := db.Exec(m)
		require.NoError(t, err)
	}
	_, err = db.Exec(`PRAGMA user_version = 3`)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO calls (ts, path, model, status, cache, input_tokens, cost_usd) VALUES (1000, '/v1/messages', 'm', 200, 'miss', 7, NULL)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s := openTestStore(t, path)
	require.NotEmpty(t, s.SourceID())
	rows, err := s.RowsAfter(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Equal(t, []Row{{ID: 1, Record: Record{Time: time.UnixMilli(1000).UTC(), Path: "/v1/messages", Model: "m", Status: 200, Cache: "miss", InputTokens: 7}}}, rows)
}

func TestMetaAndOnCommit(t *testing.T) {
	s := openTestStore(t, "")
	_, ok, err := s.Meta(context.Background(), "k")
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, s.SetMeta(context.Background(), "k", "v1"))
	require.NoError(t, s.SetMeta(context.Background(), "k", "v2"))
	v, ok, err := s.Meta(context.Background(), "k")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v2", v)

	w := NewWriter(s, slog.New(slog.NewTextHandler(io.Discard, nil)), 10)
	committed := make(chan struct{}, 10)
	w.OnCommit(func() { committed <- struct{}{} })
	require.True(t, w.Enqueue(Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"}))
	<-committed
	require.NoError(t, w.Close(context.Background()))
	n, err := s.CountAfter(context.Background(), 0)
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "OnCommit runs after the row is committed")
}
