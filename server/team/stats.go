package team

import (
	"cmp"
	"context"
	"fmt"
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

// groupings maps each allowed --by to the expression it groups on; only
// these ever reach the SQL.
var groupings = map[string]string{
	"user":    `"user"`,
	"machine": `machine`,
	"project": `project`,
	"model":   `model`,
	"session": `session_id`,
	"day":     `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
}

// GroupBys are the values Stats accepts for by.
var GroupBys = []string{"user", "machine", "project", "model", "day", "session"}

// DB is a connection to the team database for reading only (cco team
// stats without a daemon).
type DB struct{ pool *pgxpool.Pool }

// OpenDB connects to the team database at url and checks its schema is
// one this cco can read.
func OpenDB(ctx context.Context, url string) (*DB, error) {
	if err := ValidateURL(url); err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("team_url %s: %s", Redact(url), scrub(err.Error(), url))
	}
	if err := checkSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, explain("opening the team database "+Redact(url), err, url)
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
	key, ok := groupings[by]
	if !ok {
		return nil, fmt.Errorf("team statistics cannot be grouped by %q; use one of %s", by, strings.Join(GroupBys, ", "))
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return nil, fmt.Errorf("team statistics: since (%s) must be before until (%s)", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	var where []string
	var args []any
	if !since.IsZero() {
		args = append(args, since)
		where = append(where, fmt.Sprintf("ts >= $%d", len(args)))
	}
	if !until.IsZero() {
		args = append(args, until)
		where = append(where, fmt.Sprintf("ts < $%d", len(args)))
	}
	q := `SELECT ` + key + ` AS k, count(*),
		count(*) FILTER (WHERE status >= 400 OR status < 100),
		count(*) FILTER (WHERE cache = 'hit'),
		coalesce(sum(input_tokens) FILTER (WHERE cache <> 'hit'), 0),
		coalesce(sum(output_tokens) FILTER (WHERE cache <> 'hit'), 0),
		coalesce(sum(cache_read_tokens) FILTER (WHERE cache <> 'hit'), 0),
		coalesce(sum(cache_creation_tokens) FILTER (WHERE cache <> 'hit'), 0),
		coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL),
		min(ts), max(ts)
		FROM cco_calls`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` GROUP BY k`
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
	slices.SortFunc(groups, func(a, b Group) int {
		if by != "day" && a.Requests != b.Requests {
			return cmp.Compare(b.Requests, a.Requests)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return groups, nil
}
