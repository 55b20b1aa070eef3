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
	s := openTestStore(t, "")
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 2, 27, 21, 13, 0, 0, time.UTC)
	recs := addRandomRecords(t, s, rng, 3000, base, 72*time.Hour, func(r *Record) {
		r.Path = "/v1/messages"
		r.Model, r.Status = []string{"a", "b", "c"}[rng.IntN(3)], []int{200, 200, 429, 499}[rng.IntN(4)]
		r.Cache, r.InputTokens, r.OutputTokens = []string{"hit", "miss", "bypass"}[rng.IntN(3)], rng.Int64N(1000), rng.Int64N(100)
		r.CacheReadTokens, r.CacheCreationTokens, r.Latency = rng.Int64N(10), rng.Int64N(10), time.Duration(rng.Int64N(5000))*time.Millisecond
	})
	for i := 0; i < 40; i++ {
		lo := base.Add(time.Duration(rng.Int64N(int64(80*time.Hour))) - 4*time.Hour).Truncate(time.Millisecond)
		hi := lo.Add(time.Duration(rng.Int64N(int64(50 * time.Hour))))
		if i == 0 {
			lo, hi = base.Add(-time.Hour), base.Add(100*time.Hour) // everything
		}
		if i == 1 {
			lo, hi = base.Truncate(time.Hour).Add(2*time.Hour), base.Truncate(time.Hour).Add(5*time.Hour) // whole hours
		}
		got, err := s.Stats(context.Background(), lo, hi, Filter{})
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
	s := openTestStore(t, path)
	st, err := s.Stats(context.Background(), now.Add(-48*time.Hour), now.Add(48*time.Hour), Filter{})
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Totals.Requests)
	require.EqualValues(t, 5, st.Totals.InputTokens)
}

// Grouped figures from the roll-up plus the raw edges equal summing the
// raw rows by hand, for every dimension and any range.
func TestGroupsMatchRows(t *testing.T) {
	s := openTestStore(t, "")
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 5, 30, 22, 41, 0, 0, time.UTC)
	recs := addRandomRecords(t, s, rng, 4000, base, 60*time.Hour, func(r *Record) {
		r.Route = []string{MessagesRoute, MessagesRoute, "/v1/messages/count_tokens"}[rng.IntN(3)]
		r.Model, r.Status = []string{"a", "b"}[rng.IntN(2)], []int{200, 200, 529, 499}[rng.IntN(4)]
		r.Cache, r.InputTokens, r.OutputTokens = []string{"hit", "miss", "bypass"}[rng.IntN(3)], rng.Int64N(1000), rng.Int64N(100)
		r.SessionID, r.Project = []string{"s1", "s2", "s3", ""}[rng.IntN(4)], []string{"/p1", "/p2"}[rng.IntN(2)]
		r.Client = []string{"claude-cli/2.1.332", "Anthropic/Go 1.84.0"}[rng.IntN(2)]
		r.Credential, r.Interrupted = []string{CredentialAPIKey, CredentialOAuth}[rng.IntN(2)], rng.IntN(5) == 0
	})
	dims := map[string]func(Record) (string, bool){
		"session": func(r Record) (string, bool) { return r.SessionID, true },
		"project": func(r Record) (string, bool) { return r.Project, true },
		"client":  func(r Record) (string, bool) { return r.Client, true },
		"model":   func(r Record) (string, bool) { return r.Model, r.Route == MessagesRoute },
		"day":     func(r Record) (string, bool) { return r.Time.UTC().Format(time.DateOnly), true },
	}
	for i := 0; i < 20; i++ {
		lo := base.Add(time.Duration(rng.Int64N(int64(62*time.Hour))) - time.Hour).Truncate(time.Millisecond)
		hi := lo.Add(time.Duration(rng.Int64N(int64(30 * time.Hour))))
		for by, key := range dims {
			got, err := s.Groups(context.Background(), by, lo, hi, Filter{}, MaxGroups)
			require.NoError(t, err)
			want := map[string]*Group{}
			for _, r := range recs {
				k, ok := key(r)
				if !ok || r.Time.Before(lo) || !r.Time.Before(hi) {
					continue
				}
				g := want[k]
				if g == nil {
					g = &Group{Key: k}
					want[k] = g
				}
				g.Requests++
				if r.Interrupted {
					g.Interrupted++
				}
				if r.Cache != "hit" {
					g.InputTokens += r.InputTokens
					if r.CostUSD == nil {
						g.UnpricedRequests++
					}
				}
				if r.CostUSD != nil && r.Credential == CredentialOAuth {
					g.SubscriptionCostUSD += *r.CostUSD
				}
			}
			require.Len(t, got.Groups, len(want), "%s over [%s, %s)", by, lo, hi)
			for _, g := range got.Groups {
				w := want[g.Key]
				require.NotNil(t, w, "%s: unexpected group %q", by, g.Key)
				require.Equal(t, w.Requests, g.Requests, "%s %q requests", by, g.Key)
				require.Equal(t, w.Interrupted, g.Interrupted, "%s %q interrupted", by, g.Key)
				require.Equal(t, w.InputTokens, g.InputTokens, "%s %q input", by, g.Key)
				require.Equal(t, w.UnpricedRequests, g.UnpricedRequests, "%s %q unpriced", by, g.Key)
				require.InDelta(t, w.SubscriptionCostUSD, g.SubscriptionCostUSD, 1e-9, "%s %q subscription cost", by, g.Key)
			}
			for j := 1; j < len(got.Groups); j++ {
				require.False(t, got.Groups[j].Last.After(got.Groups[j-1].Last), "newest first")
			}
		}
	}
	_, err := s.Groups(context.Background(), "colour", base, base.Add(time.Hour), Filter{}, 10)
	var unknown *UnknownGroupError
	require.ErrorAs(t, err, &unknown)
}

// addRandomRecords inserts n records at random times in [base,
// base+span), to the millisecond, each filled in by fill and three in
// four of them priced, and returns them.
func addRandomRecords(t *testing.T, s *Store, rng *rand.Rand, n int, base time.Time, span time.Duration, fill func(*Record)) []Record {
	t.Helper()
	recs := make([]Record, 0, n)
	for range n {
		r := Record{Time: base.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond)}
		fill(&r)
		if rng.IntN(4) > 0 {
			c := float64(rng.IntN(1000)) / 1e4
			r.CostUSD = &c
		}
		recs = append(recs, r)
	}
	for i := 0; i < len(recs); i += 500 {
		require.NoError(t, s.Insert(context.Background(), recs[i:min(i+500, len(recs))]))
	}
	return recs
}
