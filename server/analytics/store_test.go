package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func f64(v float64) *float64 { return &v }

// openTestStore opens the database at path, or a new one in a temporary
// folder when path is "", and closes it when the test ends.
func openTestStore(t testing.TB, path string) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "a.db")
	}
	s, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStatsAggregates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s := openTestStore(t, path)
	day1 := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	day2 := day1.Add(2 * time.Hour)
	recs := []Record{
		{Time: day1, Path: "/v1/messages", Model: "m1", Status: 200, Cache: "miss", InputTokens: 10, OutputTokens: 5, CacheReadTokens: 1, CacheCreationTokens: 2, Latency: 100 * time.Millisecond, CostUSD: f64(0.5)},
		{Time: day1.Add(time.Minute), Path: "/v1/messages", Model: "m1", Status: 200, Cache: "hit", Stream: true, InputTokens: 10, OutputTokens: 5, CacheReadTokens: 1, CacheCreationTokens: 2, Latency: 10 * time.Millisecond, CostUSD: f64(0), SavedUSD: 0.5},
		{Time: day2, Path: "/v1/messages", Model: "unknown", Status: 529, Cache: "bypass", InputTokens: 3, Latency: 30 * time.Millisecond},
		{Time: day2.Add(48 * time.Hour), Path: "/v1/messages", Model: "m1", Status: 200, Cache: "miss"}, // outside the range
	}
	require.NoError(t, s.Insert(context.Background(), recs))

	st, err := s.Stats(context.Background(), day1.Add(-time.Hour), day2.Add(time.Hour), Filter{})
	require.NoError(t, err)
	tot := st.Totals
	require.EqualValues(t, 3, tot.Requests)
	require.EqualValues(t, 1, tot.Errors)
	require.EqualValues(t, 1, tot.CacheHits)
	require.InDelta(t, 0.5, tot.CacheHitRate, 1e-9, "bypasses do not count")
	require.EqualValues(t, 13, tot.InputTokens, "hits count as saved, not used")
	require.EqualValues(t, 5, tot.OutputTokens)
	require.EqualValues(t, 18, tot.SavedTokens)
	require.InDelta(t, 0.5, tot.CostUSD, 1e-9)
	require.InDelta(t, 0.5, tot.SavedCostUSD, 1e-9)
	require.InDelta(t, 140.0/3, tot.AvgLatencyMs, 1e-6)

	require.EqualValues(t, 1, tot.UnpricedRequests, "the unknown model's call used tokens and has no price: unpriced, never $0")

	require.Len(t, st.Models, 2)
	require.Equal(t, "m1", st.Models[0].Model)
	require.EqualValues(t, 2, st.Models[0].Requests)
	require.NotNil(t, st.Models[0].CostUSD)
	require.Equal(t, "unknown", st.Models[1].Model)
	require.Nil(t, st.Models[1].CostUSD, "a model none of whose calls has a price has no cost, not $0")
	require.EqualValues(t, 1, st.Models[1].UnpricedRequests)

	require.Equal(t, []DayStats{
		{Day: "2026-03-01", Requests: 2, InputTokens: 10, OutputTokens: 5, CostUSD: 0.5, CacheHits: 1},
		{Day: "2026-03-02", Requests: 1, InputTokens: 3, OutputTokens: 0, CostUSD: 0, CacheHits: 0, UnpricedRequests: 1},
	}, st.Days)

	require.Len(t, st.Recent, 3)
	require.Equal(t, 529, st.Recent[0].Status, "newest first")
	require.Nil(t, st.Recent[0].CostUSD, "unknown price stays null")
	require.True(t, st.Recent[1].Stream)
	require.Equal(t, "hit", st.Recent[1].Cache)
}

func TestWriterFlushesOnClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(path)
	require.NoError(t, err)
	w := NewWriter(s, slog.New(slog.NewTextHandler(io.Discard, nil)), 5000)
	now := time.Now()
	for i := 0; i < 1000; i++ {
		require.True(t, w.Enqueue(Record{Time: now, Path: "/v1/messages", Model: "m", Status: 200, Cache: "miss", InputTokens: 1}))
	}
	require.NoError(t, w.Close(context.Background()))
	require.EqualValues(t, 1000, w.Stats().Written)
	require.NoError(t, s.Close())

	ro, err := OpenReadOnly(path)
	require.NoError(t, err)
	defer ro.Close()
	st, err := ro.Stats(context.Background(), now.Add(-time.Minute), now.Add(time.Minute), Filter{})
	require.NoError(t, err)
	require.EqualValues(t, 1000, st.Totals.Requests)
	require.EqualValues(t, 1000, st.Totals.InputTokens)
}

// A writer that cannot write (another process holds the database's write
// lock) is reported stuck once records wait longer than the limit, and
// recovers when the lock goes.
func TestWriterStuckWhileDatabaseLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s := openTestStore(t, path)
	w := NewWriter(s, slog.New(slog.NewTextHandler(io.Discard, nil)), 100)
	defer w.Close(context.Background())

	other, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)

	for i := 0; i < 5; i++ {
		w.Enqueue(Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"})
	}
	require.Eventually(t, func() bool {
		// The first record is taken into a batch at once; the rest wait
		// in the queue behind the blocked write.
		w.Enqueue(Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"})
		return w.Stuck(300*time.Millisecond) != nil
	}, 20*time.Second, 50*time.Millisecond)
	require.ErrorContains(t, w.Stuck(300*time.Millisecond), "nothing was written for")

	_, err = conn.ExecContext(context.Background(), "ROLLBACK")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.Stuck(300*time.Millisecond) == nil && w.Stats().Written > 0 }, 30*time.Second, 50*time.Millisecond)
}

func TestMigrationsAreIdempotentAndVersioned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = Open(path) // a second open applies nothing twice
	require.NoError(t, err)
	var v int
	require.NoError(t, s.db.QueryRow("PRAGMA user_version").Scan(&v))
	require.Equal(t, len(migrations), v)
	var mode string
	require.NoError(t, s.db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
	_, err = s.db.Exec("PRAGMA user_version = 999")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = Open(path)
	require.ErrorContains(t, err, "newer than this cco knows")
}

func TestParseRange(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s, u, err := ParseRange("", "", now)
	require.NoError(t, err)
	require.Equal(t, now.Add(-24*time.Hour), s)
	require.Equal(t, now, u)
	s, _, err = ParseRange("7d", "", now)
	require.NoError(t, err)
	require.Equal(t, now.Add(-7*24*time.Hour), s)
	s, u, err = ParseRange("2026-03-01T00:00:00Z", "2026-03-02T00:00:00+01:00", now)
	require.NoError(t, err)
	require.Equal(t, "2026-03-01T00:00:00Z", s.UTC().Format(time.RFC3339))
	require.Equal(t, "2026-03-01T23:00:00Z", u.UTC().Format(time.RFC3339))
	_, _, err = ParseRange("yesterday", "", now)
	require.ErrorContains(t, err, "since: \"yesterday\" is neither an RFC 3339 time")
	_, _, err = ParseRange("1h", "2h", now)
	require.ErrorContains(t, err, "must be before until")
}

func TestStatsFoldModelsPastTheBound(t *testing.T) {
	s := openTestStore(t, "")
	now := time.Now()
	var recs []Record
	for i := range MaxModels + 50 {
		recs = append(recs, Record{Time: now, Path: "/v1/messages", Model: fmt.Sprintf("m-%03d", i), Status: 200, Cache: "miss", InputTokens: 1})
	}
	require.NoError(t, s.Insert(context.Background(), recs))
	st, err := s.Stats(context.Background(), now.Add(-time.Hour), now.Add(time.Hour), Filter{})
	require.NoError(t, err)
	require.Len(t, st.Models, MaxModels)
	last := st.Models[MaxModels-1]
	require.Equal(t, OtherModels, last.Model)
	require.EqualValues(t, 51, last.Requests)
	var sum int64
	for _, m := range st.Models {
		sum += m.Requests
	}
	require.EqualValues(t, st.Totals.Requests, sum, "the folded list still adds up to the totals")
}
