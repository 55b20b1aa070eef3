package team

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Query asks for team statistics: the calls with Since <= time < Until
// (a zero end is open) grouped By one of GroupBys, at most Limit groups
// (1..analytics.MaxGroups; 0 is the most).
type Query struct {
	By           string
	Since, Until time.Time
	Limit        int
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

// Stats sums the team's calls as q asks, in the shape of the local
// statistics (GET /api/stats?by=...). Days and sessions come newest
// first; users, machines, projects and models costliest first, which is
// what a team's spend is read for.
func (d *DB) Stats(ctx context.Context, q Query) (*analytics.GroupStats, error) {
	return stats(ctx, d.pool, q)
}

// Stats is DB.Stats on the shipper's own connections.
func (s *Shipper) Stats(ctx context.Context, q Query) (*analytics.GroupStats, error) {
	if err := checkSchema(ctx, s.pool); err != nil {
		return nil, explain("reading team statistics", err, s.cfg.URL)
	}
	return stats(ctx, s.pool, q)
}

func stats(ctx context.Context, pool *pgxpool.Pool, q Query) (*analytics.GroupStats, error) {
	g, ok := groupings[q.By]
	if !ok {
		return nil, fmt.Errorf("team statistics cannot be grouped by %q; use one of %s", q.By, strings.Join(GroupBys, ", "))
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return nil, fmt.Errorf("team statistics: since (%s) must be before until (%s)", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	}
	sql, args := statsQuery(g, q.By == "day", q.Since, q.Until)
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, explain("reading team statistics by "+q.By, err, "")
	}
	groups, err := pgx.CollectRows(rows, scanGroup)
	if err != nil {
		return nil, fmt.Errorf("reading team statistics by %s: %w", q.By, err)
	}
	sortGroups(groups, q.By)
	out := &analytics.GroupStats{By: q.By, Since: q.Since.UTC(), Until: q.Until.UTC(), Groups: groups}
	limit := q.Limit
	if limit <= 0 || limit > analytics.MaxGroups {
		limit = analytics.MaxGroups
	}
	if len(out.Groups) > limit {
		out.More = len(out.Groups) - limit
		out.Groups = out.Groups[:limit]
	}
	return out, nil
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
			sum(unpriced_requests), min(first_ts), max(last_ts), sum(interrupted),
			sum(subscription_cost_usd) FROM cco_calls_hourly`
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
		min(first), max(last), sum(interrupted)::bigint, sum(subscription)
		FROM (` + strings.Join(parts, ` UNION ALL `) + `) AS p(k, requests, errors, hits, input, output,
			cache_read, cache_creation, cost, unpriced, first, last, interrupted, subscription)
		GROUP BY k`, args
}

// scanGroup reads one row of the statistics query (key, then rawSums's
// columns) as a group.
func scanGroup(r pgx.CollectableRow) (analytics.Group, error) {
	var g analytics.Group
	var cost float64
	err := r.Scan(&g.Key, &g.Requests, &g.Errors, &g.CacheHits, &g.InputTokens, &g.OutputTokens,
		&g.CacheReadTokens, &g.CacheCreationTokens, &cost, &g.UnpricedRequests, &g.First, &g.Last,
		&g.Interrupted, &g.SubscriptionCostUSD)
	g.First, g.Last = g.First.UTC(), g.Last.UTC()
	g.APIKeyCostUSD = cost - g.SubscriptionCostUSD
	if g.Requests > g.UnpricedRequests || cost != 0 {
		g.CostUSD = &cost
	}
	return g, err
}

// sortGroups puts days and sessions newest first, as the local
// statistics do, and the rest costliest first.
func sortGroups(groups []analytics.Group, by string) {
	cost := func(g analytics.Group) float64 {
		if g.CostUSD == nil {
			return 0
		}
		return *g.CostUSD
	}
	slices.SortFunc(groups, func(a, b analytics.Group) int {
		if by == "day" || by == "session" {
			return cmp.Or(b.Last.Compare(a.Last), strings.Compare(a.Key, b.Key))
		}
		return cmp.Or(cmp.Compare(cost(b), cost(a)), cmp.Compare(b.Requests, a.Requests), strings.Compare(a.Key, b.Key))
	})
}
