package team

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/analytics"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// Statistics read from the hourly roll-up plus the raw rows at the edges
// equal statistics summed from the raw rows alone, for any range and
// grouping; and a row shipped twice is counted once.
func TestRollupMatchesRawRows(t *testing.T) {
	pg := testkit.StartPostgres(t)
	store := openStore(t, "")
	start := time.Date(2026, 3, 1, 22, 17, 0, 0, time.UTC)
	addRows(t, store, 2000, func(i int, r *analytics.Record) {
		r.Time = start.Add(time.Duration(rand.IntN(6*3600*1000)) * time.Millisecond)
		r.Model = []string{"a", "b", "c"}[rand.IntN(3)]
		r.Project = []string{"p", "q"}[rand.IntN(2)]
		r.SessionID = fmt.Sprint(rand.IntN(5))
		r.Status = []int{200, 200, 200, 429, 0}[rand.IntN(5)]
		r.Cache = []string{"hit", "miss", "bypass"}[rand.IntN(3)]
		r.InputTokens, r.OutputTokens = int64(rand.IntN(1000)), int64(rand.IntN(100))
		r.CacheReadTokens, r.CacheCreationTokens = int64(rand.IntN(50)), int64(rand.IntN(50))
		r.Credential = []string{analytics.CredentialAPIKey, analytics.CredentialOAuth}[rand.IntN(2)]
		r.Interrupted = rand.IntN(7) == 0
		if rand.IntN(4) == 0 {
			r.CostUSD = nil
		} else {
			r.CostUSD = f64(float64(rand.IntN(1000)) / 1000)
		}
	})
	sh := startShipper(t, Config{URL: pg.URL()}, store, fast)
	c := connect(t, pg.URL())
	waitFor(t, "the rows", func() bool { return teamCount(c, store.SourceID()) == 2000 })

	check := func(since, until time.Time) {
		t.Helper()
		for _, by := range GroupBys {
			gs, err := sh.Stats(context.Background(), Query{By: by, Since: since, Until: until})
			require.NoError(t, err)
			got := gs.Groups
			want := rawStats(t, c, by, since, until)
			require.Equal(t, len(want), len(got), "%s %s..%s", by, since, until)
			// Sums in another order differ in the last bits, which may
			// also swap two groups of almost the same cost.
			byKey := map[string]analytics.Group{}
			for _, g := range got {
				byKey[g.Key] = g
			}
			for _, w := range want {
				g, ok := byKey[w.Key]
				require.True(t, ok, "%s: group %q missing", by, w.Key)
				require.Equal(t, w.CostUSD == nil, g.CostUSD == nil, w.Key)
				if w.CostUSD != nil {
					require.InDelta(t, *w.CostUSD, *g.CostUSD, 1e-6)
				}
				require.InDelta(t, w.APIKeyCostUSD, g.APIKeyCostUSD, 1e-6)
				require.InDelta(t, w.SubscriptionCostUSD, g.SubscriptionCostUSD, 1e-6)
				w.CostUSD, g.CostUSD, w.APIKeyCostUSD, g.APIKeyCostUSD, w.SubscriptionCostUSD, g.SubscriptionCostUSD = nil, nil, 0, 0, 0, 0
				require.Equal(t, w, g, "%s %s..%s", by, since, until)
			}
		}
	}
	check(time.Time{}, time.Time{})
	check(start.Truncate(time.Hour).Add(time.Hour), start.Add(3*time.Hour).Truncate(time.Hour)) // whole hours
	check(start.Add(10*time.Minute), start.Add(20*time.Minute))                                 // inside one hour
	check(start.Add(30*time.Minute), time.Time{})
	check(time.Time{}, start.Add(150*time.Minute))
	for i := 0; i < 5; i++ {
		a := start.Add(time.Duration(rand.IntN(7*3600)) * time.Second)
		check(a, a.Add(time.Duration(1+rand.IntN(4*3600))*time.Second))
	}

	// Send everything again as if the cursor had been lost: no row is
	// added and the roll-up does not count any twice.
	before := rawStats(t, c, "user", time.Time{}, time.Time{})
	_, err := c.Exec(context.Background(), `UPDATE cco_sources SET shipped_id = 0`)
	require.NoError(t, err)
	sh.Notify()
	waitFor(t, "the cursor to come back", func() bool {
		var id int64
		c.QueryRow(context.Background(), `SELECT shipped_id FROM cco_sources`).Scan(&id)
		return id == 2000
	})
	require.Equal(t, seq(1, 2000), teamIDs(t, c, store.SourceID()))
	got, err := sh.Stats(context.Background(), Query{By: "user"})
	require.NoError(t, err)
	require.Equal(t, before[0].Requests, got.Groups[0].Requests)
	require.EqualValues(t, 2000, got.Groups[0].Requests)
	check(time.Time{}, time.Time{})
}

// rawStats is what Stats should answer, summed from cco_calls alone.
func rawStats(t *testing.T, c *pgx.Conn, by string, since, until time.Time) []analytics.Group {
	t.Helper()
	key := groupings[by].raw
	if by == "day" {
		key = "to_char(" + key + ", 'YYYY-MM-DD')"
	}
	q := `SELECT ` + key + `, ` + rawSums + ` FROM cco_calls WHERE ($1::timestamptz IS NULL OR ts >= $1) AND ($2::timestamptz IS NULL OR ts < $2) GROUP BY 1`
	arg := func(v time.Time) any {
		if v.IsZero() {
			return nil
		}
		return v
	}
	rows, err := c.Query(context.Background(), q, arg(since), arg(until))
	require.NoError(t, err)
	groups, err := pgx.CollectRows(rows, scanGroup)
	require.NoError(t, err)
	sortGroups(groups, by)
	return groups
}
