package analytics

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The hourly roll-up plus the raw rows at the edges give exactly what
// summing the raw rows of the range gives, for any range.
func TestStatsRollupMatchesRows(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "a.db"))
	require.NoError(t, err)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 2, 27, 21, 13, 0, 0, time.UTC)
	var recs []Record
	for i := 0; i < 3000; i++ {
		r := Record{
			Time:  base.Add(time.Duration(rng.Int64N(int64(72 * time.Hour)))).Truncate(time.Millisecond),
			Path:  "/v1/messages",
			Model: []string{"a", "b", "c"}[rng.IntN(3)], Status: []int{200, 200, 429, 499}[rng.IntN(4)],
			Cache: []string{"hit", "miss", "bypass"}[rng.IntN(3)], InputTokens: rng.Int64N(1000), OutputTokens: rng.Int64N(100),
			CacheReadTokens: rng.Int64N(10), CacheCreationTokens: rng.Int64N(10), Latency: time.Duration(rng.Int64N(5000)) * time.Millisecond,
		}
		if rng.IntN(4) > 0 {
			c := float64(rng.IntN(1000)) / 1e4
			r.CostUSD = &c
		}
		recs = append(recs, r)
	}
	for i := 0; i < len(recs); i += 500 {
		require.NoError(t, s.Insert(context.Background(), recs[i:i+500]))
	}
	for i := 0; i < 40; i++ {
		lo := base.Add(time.Duration(rng.Int64N(int64(80*time.Hour))) - 4*time.Hour).Truncate(time.Millisecond)
		hi := lo.Add(time.Duration(rng.Int64N(int64(50 * time.Hour))))
		if i == 0 {
			lo, hi = base.Add(-time.Hour), base.Add(100*time.Hour) // everything
		}
		if i == 1 {
			lo, hi = base.Truncate(time.Hour).Add(2*time.Hour), base.Truncate(time.Hour).Add(5*time.Hour) // whole hours
		}
		got, err := s.Stats(context.Background(), lo, hi)
		require.NoError(t, err)
		var want Totals
		var rows int
		for _, r := range recs {
			if r.Time.Before(lo) || !r.Time.Before(hi) {
				continue
			}
			rows++
			want.Requests++
			if r.Status >= 400 {
				want.Errors++
			}
			if r.Cache == "hit" {
				want.CacheHits++
				want.SavedTokens += r.InputTokens + r.OutputTokens + r.CacheReadTokens + r.CacheCreationTokens
			} else {
				want.InputTokens += r.InputTokens
				want.OutputTokens += r.OutputTokens
				want.CacheReadTokens += r.CacheReadTokens
				want.CacheCreationTokens += r.CacheCreationTokens
			}
			if r.CostUSD != nil {
				want.CostUSD += *r.CostUSD
			}
		}
		g := got.Totals
		require.Equal(t, want.Requests, g.Requests, "range %d %s..%s", i, lo, hi)
		require.Equal(t, want.Errors, g.Errors)
		require.Equal(t, want.CacheHits, g.CacheHits)
		require.Equal(t, want.InputTokens, g.InputTokens)
		require.Equal(t, want.OutputTokens, g.OutputTokens)
		require.Equal(t, want.CacheReadTokens, g.CacheReadTokens)
		require.Equal(t, want.CacheCreationTokens, g.CacheCreationTokens)
		require.Equal(t, want.SavedTokens, g.SavedTokens)
		require.InDelta(t, want.CostUSD, g.CostUSD, 1e-9)
		var dayReq, modelReq int64
		for _, d := range got.Days {
			dayReq += d.Requests
		}
		for _, m := range got.Models {
			modelReq += m.Requests
		}
		require.Equal(t, want.Requests, dayReq)
		require.Equal(t, want.Requests, modelReq)
		require.Len(t, got.Recent, min(rows, RecentLimit))
	}
}

// A database written before the roll-up existed gets it filled in.
func TestMigrationBackfillsRollup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	now := time.Now()
	// Schema 1, as an older cco left it.
	db, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	_, err = db.Exec(migrations[0] + "; PRAGMA user_version = 1")
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO calls (ts, path, model, status, cache, input_tokens) VALUES (?, '/v1/messages', 'm', 200, 'miss', 5)`, now.UnixMilli())
	require.NoError(t, err)
	require.NoError(t, db.Close())
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	st, err := s.Stats(context.Background(), now.Add(-48*time.Hour), now.Add(48*time.Hour))
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Totals.Requests)
	require.EqualValues(t, 5, st.Totals.InputTokens)
}
