package team

import (
	"cmp"
	"context"
	"fmt"
	"github.com/anthropics/cco/config"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Group is one line of team statistics. As in the local statistics,
// token and cost figures count what went upstream: a cache hit counts as
// a request and a hit, not as tokens.
type Group struct {
	Key                 string    `json:"key"`
	Requests            int64     `json:"requests"`
	Errors              int64     `json:"errors"` // status >= 400, or no response
	CacheHits           int64     `json:"cache_hits"`
	InputTokens         int64     `json:"input_tokens"`
	OutputTokens        int64     `json:"output_tokens"`
	CacheReadTokens     int64     `json:"cache_read_tokens"`
	CacheCreationTokens int64     `json:"cache_creation_tokens"`
	CostUSD             float64   `json:"cost_usd"`          // of the priced calls
	UnpricedRequests    int64     `json:"unpriced_requests"` // calls of a model with no known price
	First               time.Time `json:"first"`
	Last                time.Time `json:"last"`
}

// groupings maps each allowed --by to what it groups on in the roll-up
// and in the raw rows; only these ever reach the SQL.
var groupings = map[string]struct{ rollup, raw string }{
	"user":    {`"user"`, `"user"`},
	"machine": {`machine`, `machine`},
	"project": {`project`, `project`},
	"model":   {`model`, `model`},
	"session": {`session_id`, `session_id`},
	"day":     {`(hour AT TIME ZONE 'UTC')::date`, `(ts AT TIME ZONE 'UTC')::date`},
}

// GroupBys are the values Stats accepts for by.
var GroupBys = []string{"user", "machine", "project", "model", "day", "session"}

// DB is a connection to the team database for reading only (cco team
// stats without a daemon).
type DB struct{ pool *pgxpool.Pool }

// OpenDB connects to the team database at url and checks its schema is
// one this cco can read.
func OpenDB(ctx context.Context, url string) (*DB, error) {
	if err := config.ValidateTeamURL(url); err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("team_url %s: %s", config.RedactURL(url), config.ScrubURL(err.Error(), url))
	}
	if err := checkSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, explain("opening the team database "+config.RedactURL(url), err, url)
	}
	return &DB{pool: pool}, nil
}

// Close closes the connections.
func (d *DB) Close() { d.pool.Close() }

// Stats sums the calls with since <= ts < until by user, machine, project,
// model, day (UTC) or session; a zero since or until leaves that end open.
// Days come in order, every other grouping busiest first.
func (d *DB) Stats(ctx context.Context, by string, since, until time.Time) ([]Group, error) {
	return stats(ctx, d.pool, by, since, until)
}

// Stats is DB.Stats on the shipper's own connections.
func (s *Shipper) Stats(ctx context.Context, by string, since, until time.Time) ([]Group, error) {
	if err := checkSchema(ctx, s.pool); err != nil {
		return nil, explain("reading team statistics", err, s.cfg.URL)
	}
	return stats(ctx, s.pool, by, since, until)
}

func stats(ctx context.Context, pool *pgxpool.Pool, by string, since, until time.Time) ([]Group, error) {
	g, ok := groupings[by]
	if !ok {
		return nil, fmt.Errorf("team statistics cannot be grouped by %q; use one of %s", by, strings.Join(GroupBys, ", "))
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return nil, fmt.Errorf("team statistics: since (%s) must be before until (%s)", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	q, args := statsQuery(g, by == "day", since, until)
	rows, err := pool.Query(ctx, q, args...)
	if err != nil {
		return nil, explain("reading team statistics by "+by, err, "")
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Group, error) {
		var g Group
		err := r.Scan(&g.Key, &g.Requests, &g.Errors, &g.CacheHits, &g.InputTokens, &g.OutputTokens,
			&g.CacheReadTokens, &g.CacheCreationTokens, &g.CostUSD, &g.UnpricedRequests, &g.First, &g.Last)
		g.First, g.Last = g.First.UTC(), g.Last.UTC()
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading team statistics by %s: %w", by, err)
	}
	sortGroups(groups, by)
	return groups, nil
}

// statsQuery reads the whole hours of [since, until) from the roll-up and
// the partial hours at either end from the raw rows, as the local
// statistics do; a zero since or until is an open end.
func statsQuery(g struct{ rollup, raw string }, day bool, since, until time.Time) (string, []any) {
	var args []any
	arg := func(t time.Time) string {
		args = append(args, t)
		return fmt.Sprintf("$%d", len(args))
	}
	raw := func(lo, hi time.Time) string {
		return `SELECT ` + g.raw + `, ` + rawSums + ` FROM cco_calls WHERE ts >= ` + arg(lo) + ` AND ts < ` + arg(hi) + ` GROUP BY 1`
	}
	lo, hi := since.Truncate(time.Hour), until.Truncate(time.Hour)
	if lo.Before(since) {
		lo = lo.Add(time.Hour)
	}
	var parts, where []string
	switch {
	case !since.IsZero() && !until.IsZero() && !lo.Before(hi):
		parts = append(parts, raw(since, until)) // no whole hour inside
	default:
		if !since.IsZero() {
			where = append(where, `hour >= `+arg(lo))
			if since.Before(lo) {
				parts = append(parts, raw(since, lo))
			}
		}
		if !until.IsZero() {
			where = append(where, `hour < `+arg(hi))
			if hi.Before(until) {
				parts = append(parts, raw(hi, until))
			}
		}
		rollup := `SELECT ` + g.rollup + `, sum(requests), sum(errors), sum(cache_hits), sum(input_tokens),
			sum(output_tokens), sum(cache_read_tokens), sum(cache_creation_tokens), sum(cost_usd),
			sum(unpriced_requests), min(first_ts), max(last_ts) FROM cco_calls_hourly`
		if len(where) > 0 {
			rollup += ` WHERE ` + strings.Join(where, ` AND `)
		}
		parts = append(parts, rollup+` GROUP BY 1`)
	}
	key := `k`
	if day {
		key = `to_char(k, 'YYYY-MM-DD')`
	}
	return `SELECT ` + key + `, sum(requests)::bigint, sum(errors)::bigint, sum(hits)::bigint, sum(input)::bigint,
		sum(output)::bigint, sum(cache_read)::bigint, sum(cache_creation)::bigint, sum(cost), sum(unpriced)::bigint,
		min(first), max(last)
		FROM (` + strings.Join(parts, ` UNION ALL `) + `) AS p(k, requests, errors, hits, input, output,
			cache_read, cache_creation, cost, unpriced, first, last)
		GROUP BY k`, args
}

// sortGroups puts days in order and anything else busiest first.
func sortGroups(groups []Group, by string) {
	slices.SortFunc(groups, func(a, b Group) int {
		if by != "day" && a.Requests != b.Requests {
			return cmp.Compare(b.Requests, a.Requests)
		}
		return strings.Compare(a.Key, b.Key)
	})
}
