package team

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/anthropics/cco/server/analytics"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		shipForever(path, os.Getenv(childURLEnv))
		return
	}
	os.Exit(m.Run())
}

// fast are timings for tests: quick polls and retries, so that waits on
// conditions end soon; none of them is what a test asserts.
var fast = tuning{batch: 5000, poll: 50 * time.Millisecond, backoffMin: 10 * time.Millisecond, backoffMax: 200 * time.Millisecond, dialTimeout: 5 * time.Second, insert: (*Shipper).copyRows}

// waitLimit bounds every wait on a condition; it is generous for shared
// CI machines under -race and never a guess at how long a step takes.
const waitLimit = 90 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openStore(t testing.TB, path string) *analytics.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "usage.db")
	}
	s, err := analytics.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func startShipper(t testing.TB, cfg Config, store *analytics.Store, tune tuning) *Shipper {
	t.Helper()
	sh, err := newShipper(cfg, store, quiet(), tune)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sh.Close(ctx)
	})
	return sh
}

func f64(v float64) *float64 { return &v }

// addRows inserts n calls; edit, when given, shapes the i-th.
func addRows(t testing.TB, s *analytics.Store, n int, edit func(i int, r *analytics.Record)) {
	t.Helper()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]analytics.Record, n)
	for i := range recs {
		recs[i] = analytics.Record{Time: base.Add(time.Duration(i) * time.Second), Path: "/v1/messages", Model: "claude-x",
			Status: 200, Cache: "miss", InputTokens: 10, OutputTokens: 2, CostUSD: f64(0.01)}
		if edit != nil {
			edit(i, &recs[i])
		}
	}
	require.NoError(t, s.Insert(context.Background(), recs))
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// teamIDs are the local ids the team database holds for source, sorted;
// it fails the test on any id held twice.
func teamIDs(t testing.TB, c *pgx.Conn, source string) []int64 {
	t.Helper()
	rows, err := c.Query(context.Background(), `SELECT local_id FROM cco_calls WHERE source_id = $1 ORDER BY local_id`, source)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.Equal(t, len(ids), len(slices.Compact(slices.Clone(ids))), "a local row was shipped twice")
	return ids
}

// teamCount is how many rows source has in the team database, -1 while
// that cannot be read.
func teamCount(c *pgx.Conn, source string) int64 {
	var n int64
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM cco_calls WHERE source_id = $1`, source).Scan(&n); err != nil {
		return -1
	}
	return n
}

// waitShipped waits for n rows of source in the team database, then
// checks that they are its rows 1 to n, each once.
func waitShipped(t testing.TB, what string, c *pgx.Conn, source string, n int64) {
	t.Helper()
	waitFor(t, what, func() bool { return teamCount(c, source) == n })
	require.Equal(t, seq(1, n), teamIDs(t, c, source))
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func localCount(t testing.TB, s *analytics.Store) int64 {
	t.Helper()
	n, err := s.CountAfter(context.Background(), 0)
	require.NoError(t, err)
	return n
}

func describeStatus(sh *Shipper) string { return fmt.Sprintf("%+v", sh.Status()) }

// The test binary, run with childEnv set, is a shipper that never stops
// on its own: the parent kills it with SIGKILL.
const (
	childEnv    = "CCO_TEAM_TEST_SHIP_FOREVER" // the usage database
	childURLEnv = "CCO_TEAM_TEST_URL"
)

func shipForever(path, url string) {
	store, err := analytics.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Small batches: many commits, so that a kill lands in the middle of
	// a transaction, or between COMMIT and what follows, often.
	tune := fast
	tune.batch = 37
	tune.poll = 5 * time.Millisecond
	if _, err := newShipper(Config{URL: url, Machine: "child"}, store, quiet(), tune); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	select {}
}
