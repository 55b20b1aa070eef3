package team

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/analytics"
	"github.com/stretchr/testify/require"
)

func TestRowsArriveWithEveryColumn(t *testing.T) {
	pg := testkit.StartPostgres(t)
	store := openStore(t, "")
	full := analytics.Record{Time: time.UnixMilli(1772366400123).UTC(), Path: "/v1/messages?beta=true", Model: "claude-y",
		Status: 529, Stream: true, Cache: "miss", InputTokens: 1, OutputTokens: 2, CacheReadTokens: 3, CacheCreationTokens: 9,
		CacheWrite5mTokens: 4, CacheWrite1hTokens: 5, Latency: 7 * time.Millisecond, TTFB: 6 * time.Millisecond,
		CostUSD: nil, SavedUSD: 0.5, Route: "messages", SessionID: "s-1", Project: "/src/app", Client: "claude-code/2",
		Credential: "oauth", Interrupted: true, ErrorType: "overloaded_error"}
	require.NoError(t, store.Insert(context.Background(), []analytics.Record{full}))
	addRows(t, store, 999, nil)

	slow := fast
	slow.poll = time.Hour // so that only Notify can explain the second batch arriving
	sh := startShipper(t, Config{URL: pg.URL(), Machine: "box", User: "ann"}, store, slow)
	c := connect(t, pg.URL())
	waitShipped(t, "1000 rows in the team database", c, store.SourceID(), 1000)

	var got analytics.Row
	var machine, user string
	var ts time.Time
	var latency, ttfb int64
	require.NoError(t, c.QueryRow(context.Background(), `SELECT local_id, machine, "user", ts, path, model, status, stream,
		cache, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cache_write_5m_tokens,
		cache_write_1h_tokens, latency_ms, ttfb_ms, cost_usd, saved_usd, route, session_id, project, client,
		credential, interrupted, error_type FROM cco_calls WHERE local_id = 1`).Scan(&got.ID, &machine, &user, &ts,
		&got.Path, &got.Model, &got.Status, &got.Stream, &got.Cache, &got.InputTokens, &got.OutputTokens,
		&got.CacheReadTokens, &got.CacheCreationTokens, &got.CacheWrite5mTokens, &got.CacheWrite1hTokens,
		&latency, &ttfb, &got.CostUSD, &got.SavedUSD, &got.Route, &got.SessionID, &got.Project, &got.Client,
		&got.Credential, &got.Interrupted, &got.ErrorType))
	got.Time, got.Latency, got.TTFB = ts.UTC(), time.Duration(latency)*time.Millisecond, time.Duration(ttfb)*time.Millisecond
	require.Equal(t, analytics.Row{ID: 1, Record: full}, got)
	require.Equal(t, "box", machine)
	require.Equal(t, "ann", user)

	waitFor(t, "status to settle", func() bool { return sh.Pending() == 0 && sh.Status().LastShippedAt != nil })
	st := sh.Status()
	require.True(t, st.Connected)
	require.EqualValues(t, 1000, st.Shipped)
	require.Empty(t, st.LastError)
	require.Nil(t, st.FailingSince)
	require.True(t, strings.HasPrefix(st.String(), "team: up to date, last shipped at "), st.String())

	// The writer's OnCommit hook is how the daemon announces rows.
	w := analytics.NewWriter(store, quiet(), 100)
	w.OnCommit(sh.Notify)
	for i := 0; i < 10; i++ {
		require.True(t, w.Enqueue(analytics.Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"}))
	}
	require.NoError(t, w.Close(context.Background()))
	waitShipped(t, "the written rows, announced by Notify", c, store.SourceID(), 1010)
}

func TestOutageKeepsRowsAndCatchesUp(t *testing.T) {
	pg := testkit.StartPostgres(t)
	store := openStore(t, "")
	addRows(t, store, 100, nil)
	sh := startShipper(t, Config{URL: pg.URL()}, store, fast)
	c := connect(t, pg.URL())
	waitFor(t, "the first 100 rows", func() bool { return teamCount(c, store.SourceID()) == 100 })
	c.Close(context.Background())

	// The outage starts when the stop does: an attempt while the server
	// shuts down may fail already, before Stop returns.
	down := time.Now()
	pg.Stop()
	addRows(t, store, 200, nil) // local writes go on while PostgreSQL is down
	sh.Notify()
	// An attempt that finds the server shutting down sees its connection
	// closed (a reset, or EOF); the ones after it find nothing listening.
	// Either is the outage, told with its address and likely cause.
	outage := regexp.MustCompile(`^(connection refused by 127\.0\.0\.1:\d+ \(is PostgreSQL running|127\.0\.0\.1:\d+ closed the connection \(is PostgreSQL restarting)`)
	waitFor(t, "the outage to show: "+describeStatus(sh), func() bool {
		st := sh.Status()
		return !st.Connected && st.FailingSince != nil && st.Pending == 200 && outage.MatchString(st.LastError)
	})
	st := sh.Status()
	require.Regexp(t, outage, st.LastError)
	require.False(t, st.FailingSince.Before(down), "failing since %s, before the stop at %s", st.FailingSince, down)
	require.Contains(t, st.String(), "team: 200 rows pending, database unreachable since ")
	require.Contains(t, st.String(), ": "+st.LastError)
	errs := sh.ShipErrors()
	require.Positive(t, errs)

	// The count keeps up with new rows during the outage, and the
	// retries go on.
	addRows(t, store, 50, nil)
	sh.Notify()
	waitFor(t, "pending to count the new rows", func() bool { return sh.Pending() == 250 })
	waitFor(t, "more retries", func() bool { return sh.ShipErrors() > errs })

	pg.Start()
	c = connect(t, pg.URL())
	waitShipped(t, "all 350 rows after the outage", c, store.SourceID(), 350)
	waitFor(t, "status to recover", func() bool { st := sh.Status(); return st.Connected && st.FailingSince == nil })
	require.Zero(t, sh.Pending())
}

// Two daemons on one CCO_HOME share the source_id: they must take turns
// on the cursor, never ship the same rows side by side.
func TestTwoShippersOfOneDatabase(t *testing.T) {
	pg := testkit.StartPostgres(t)
	a := openStore(t, "")
	b := openStore(t, a.Path())
	require.Equal(t, a.SourceID(), b.SourceID())
	tune := fast
	tune.batch = 40
	startShipper(t, Config{URL: pg.URL()}, a, tune)
	startShipper(t, Config{URL: pg.URL()}, b, tune)
	c := connect(t, pg.URL())
	for i := 0; i < 20; i++ {
		addRows(t, a, 100, nil)
	}
	waitShipped(t, "2000 rows", c, a.SourceID(), 2000)
}

func TestCloseShipsWhatItCan(t *testing.T) {
	pg := testkit.StartPostgres(t)
	store := openStore(t, "")
	addRows(t, store, 3000, nil)
	tune := fast
	tune.batch = 500
	sh, err := newShipper(Config{URL: pg.URL()}, store, quiet(), tune)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	require.NoError(t, sh.Close(ctx))
	c := connect(t, pg.URL())
	require.Equal(t, seq(1, 3000), teamIDs(t, c, store.SourceID()))
	require.NoError(t, sh.Close(ctx), "a second Close is harmless")

	// With the database down, Close gives up when its context ends and
	// says what is left.
	pg.Stop()
	addRows(t, store, 5, nil)
	sh, err = newShipper(Config{URL: pg.URL()}, store, quiet(), tune)
	require.NoError(t, err)
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	start := time.Now()
	err = sh.Close(short)
	require.ErrorContains(t, err, "5 rows not yet shipped")
	require.ErrorContains(t, err, "connection refused")
	require.Less(t, time.Since(start), 10*time.Second)
}
