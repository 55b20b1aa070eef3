package team

import (
	"context"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/analytics"
	"github.com/stretchr/testify/require"
)

// Two machines (two local databases) ship into one team database; the
// groupings see both, and every grouping adds up to the same totals.
func TestStatsAcrossMachines(t *testing.T) {
	pg := testkit.StartPostgres(t)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	one, two := openStore(t, ""), openStore(t, "")
	require.NotEqual(t, one.SourceID(), two.SourceID())
	// m1: 30 calls on day 1, every 10th an error, every 5th unpriced,
	// every 3rd a cache hit, in sessions a and b of project p1.
	addRows(t, one, 30, func(i int, r *analytics.Record) {
		r.Time = day.Add(time.Duration(i) * time.Minute)
		r.Project, r.SessionID = "p1", []string{"a", "b"}[i%2]
		if i%10 == 0 {
			r.Status = 500
		}
		if i%5 == 0 {
			r.CostUSD = nil
		}
		if i%3 == 0 {
			r.Cache = "hit"
			r.CostUSD = f64(0)
		}
	})
	// m2: 20 calls on day 2 of another model and project.
	addRows(t, two, 20, func(i int, r *analytics.Record) {
		r.Time = day.Add(24*time.Hour + time.Duration(i)*time.Minute)
		r.Model, r.Project, r.SessionID = "claude-z", "p2", "c"
		r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheCreationTokens = 100, 20, 3, 4
		r.CostUSD = f64(0.5)
	})
	s1 := startShipper(t, Config{URL: pg.URL(), Machine: "m1", User: "ann"}, one, fast)
	s2 := startShipper(t, Config{URL: pg.URL(), Machine: "m2", User: "bob"}, two, fast)
	waitFor(t, "both to ship", func() bool { return s1.Status().Shipped == 30 && s2.Status().Shipped == 20 })

	db, err := OpenDB(context.Background(), pg.URL())
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()

	byMachine, err := db.Stats(ctx, Query{By: "machine"})
	require.NoError(t, err)
	require.Equal(t, "machine", byMachine.By)
	// m1: hits (i%3==0: 10 calls) count no tokens; unpriced are i%5==0
	// and not hits: 0..29 step 5 minus multiples of 15 = 6-2 = 4.
	require.Equal(t, []analytics.Group{
		{Key: "m2", Requests: 20, Errors: 0, InputTokens: 2000, OutputTokens: 400, CacheReadTokens: 60, CacheCreationTokens: 80,
			CostUSD: f64(10), APIKeyCostUSD: 10, First: day.Add(24 * time.Hour), Last: day.Add(24*time.Hour + 19*time.Minute)},
		{Key: "m1", Requests: 30, Errors: 3, CacheHits: 10, InputTokens: 200, OutputTokens: 40,
			CostUSD: f64(0.16), APIKeyCostUSD: 0.16, UnpricedRequests: 4, First: day, Last: day.Add(29 * time.Minute)},
	}, roundCost(byMachine.Groups), "costliest first, in the local statistics' shape")

	for _, by := range GroupBys {
		gs, err := s1.Stats(ctx, Query{By: by})
		require.NoError(t, err, by)
		var req, errs, in int64
		var cost float64
		for _, g := range gs.Groups {
			req, errs, in, cost = req+g.Requests, errs+g.Errors, in+g.InputTokens, cost+*g.CostUSD
		}
		require.EqualValues(t, 50, req, by)
		require.EqualValues(t, 3, errs, by)
		require.EqualValues(t, 2200, in, by)
		require.InDelta(t, 10.16, cost, 1e-9, by)
	}
	keys := func(by string, since, until time.Time) []string {
		gs, err := db.Stats(ctx, Query{By: by, Since: since, Until: until})
		require.NoError(t, err)
		var out []string
		for _, g := range gs.Groups {
			out = append(out, g.Key)
		}
		return out
	}
	require.Equal(t, []string{"bob", "ann"}, keys("user", time.Time{}, time.Time{}), "costliest first")
	require.Equal(t, []string{"2026-03-02", "2026-03-01"}, keys("day", time.Time{}, time.Time{}), "newest first")
	require.Equal(t, []string{"claude-z", "claude-x"}, keys("model", time.Time{}, time.Time{}))
	require.Equal(t, []string{"p2", "p1"}, keys("project", time.Time{}, time.Time{}))
	require.Equal(t, []string{"c", "b", "a"}, keys("session", time.Time{}, time.Time{}), "newest first")
	gs, err := db.Stats(ctx, Query{By: "session", Limit: 2})
	require.NoError(t, err)
	require.Len(t, gs.Groups, 2)
	require.Equal(t, 1, gs.More)
	require.Equal(t, []string{"bob"}, keys("user", day.Add(24*time.Hour), time.Time{}), "since")
	require.Equal(t, []string{"ann"}, keys("user", time.Time{}, day.Add(24*time.Hour)), "until")
	require.Empty(t, keys("user", day.Add(-time.Hour), day))

	_, err = db.Stats(ctx, Query{By: "colour"})
	require.ErrorContains(t, err, `cannot be grouped by "colour"; use one of user, machine, project, model, day, session`)
	_, err = db.Stats(ctx, Query{By: "user", Since: day, Until: day})
	require.ErrorContains(t, err, "must be before until")
}

func roundCost(gs []analytics.Group) []analytics.Group {
	round := func(v float64) float64 { return float64(int64(v*1e6+0.5)) / 1e6 }
	for i := range gs {
		if gs[i].CostUSD != nil {
			gs[i].CostUSD = f64(round(*gs[i].CostUSD))
		}
		gs[i].APIKeyCostUSD = round(gs[i].APIKeyCostUSD)
	}
	return gs
}
