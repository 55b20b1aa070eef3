package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// Stats is the answer of GET /api/stats and cco stats --json. Token and
// cost figures count what went upstream; what a cache hit served instead is
// counted in saved_tokens and saved_cost_usd.
type Stats struct {
	Since  time.Time    `json:"since"`
	Until  time.Time    `json:"until"`
	Totals Totals       `json:"totals"`
	Models []ModelStats `json:"models"`
	Days   []DayStats   `json:"days"`
	Recent []Call       `json:"recent"`
}

// Totals are the figures of a set of calls.
type Totals struct {
	Requests            int64   `json:"requests"`
	Errors              int64   `json:"errors"`
	CacheHits           int64   `json:"cache_hits"`
	CacheHitRate        float64 `json:"cache_hit_rate"`
	InputTokens         int64   `json:"input_tokens"`
	OutputTokens        int64   `json:"output_tokens"`
	CacheReadTokens     int64   `json:"cache_read_tokens"`
	CacheCreationTokens int64   `json:"cache_creation_tokens"`
	CostUSD             float64 `json:"cost_usd"`
	SavedTokens         int64   `json:"saved_tokens"`
	SavedCostUSD        float64 `json:"saved_cost_usd"`
	AvgLatencyMs        float64 `json:"avg_latency_ms"`

	misses     int64
	latencySum int64
}

// ModelStats are the totals of one model ("" for calls with no model).
type ModelStats struct {
	Model string `json:"model"`
	Totals
}

// DayStats are one UTC day's figures.
type DayStats struct {
	Day          string  `json:"day"`
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	CacheHits    int64   `json:"cache_hits"`
}

// Call is one recent call.
type Call struct {
	Time                time.Time `json:"time"`
	Model               string    `json:"model"`
	Status              int       `json:"status"`
	Stream              bool      `json:"stream"`
	Cache               string    `json:"cache"`
	InputTokens         int64     `json:"input_tokens"`
	OutputTokens        int64     `json:"output_tokens"`
	CacheReadTokens     int64     `json:"cache_read_tokens"`
	CacheCreationTokens int64     `json:"cache_creation_tokens"`
	LatencyMs           int64     `json:"latency_ms"`
	TTFBMs              int64     `json:"ttfb_ms"`
	CostUSD             *float64  `json:"cost_usd"`
}

// RecentLimit is how many calls Stats lists.
const RecentLimit = 50

// Stats aggregates the calls with since <= time < until, in SQL.
func (s *Store) Stats(ctx context.Context, since, until time.Time) (*Stats, error) {
	st := &Stats{Since: since.UTC(), Until: until.UTC(), Models: []ModelStats{}, Days: []DayStats{}, Recent: []Call{}}
	lo, hi := since.UnixMilli(), until.UnixMilli()
	// One read transaction, so the parts agree with each other.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	defer tx.Rollback()
	if err := s.models(ctx, tx, lo, hi, st); err != nil {
		return nil, fmt.Errorf("reading usage by model: %w", err)
	}
	if err := s.days(ctx, tx, lo, hi, st); err != nil {
		return nil, fmt.Errorf("reading usage by day: %w", err)
	}
	if err := s.recent(ctx, tx, lo, hi, st); err != nil {
		return nil, fmt.Errorf("reading recent calls: %w", err)
	}
	return st, nil
}

// hit is the SQL test for a call answered from the cache.
const hit = "cache = 'hit'"

func (s *Store) models(ctx context.Context, tx *sql.Tx, lo, hi int64, st *Stats) error {
	rows, err := tx.QueryContext(ctx, `SELECT model, COUNT(*),
		SUM(status >= 400 OR status < 100),
		SUM(`+hit+`), SUM(cache = 'miss'),
		SUM(CASE WHEN `+hit+` THEN 0 ELSE input_tokens END),
		SUM(CASE WHEN `+hit+` THEN 0 ELSE output_tokens END),
		SUM(CASE WHEN `+hit+` THEN 0 ELSE cache_read_tokens END),
		SUM(CASE WHEN `+hit+` THEN 0 ELSE cache_creation_tokens END),
		TOTAL(cost_usd),
		SUM(CASE WHEN `+hit+` THEN input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens ELSE 0 END),
		TOTAL(saved_usd), SUM(latency_ms)
		FROM calls WHERE ts >= ? AND ts < ? GROUP BY model ORDER BY model`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m ModelStats
		t := &m.Totals
		if err := rows.Scan(&m.Model, &t.Requests, &t.Errors, &t.CacheHits, &t.misses,
			&t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheCreationTokens,
			&t.CostUSD, &t.SavedTokens, &t.SavedCostUSD, &t.latencySum); err != nil {
			return err
		}
		t.finish()
		st.Models = append(st.Models, m)
		st.Totals.add(t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	st.Totals.finish()
	// Busiest model first: that is what a reader looks for.
	sort.SliceStable(st.Models, func(i, j int) bool { return st.Models[i].Requests > st.Models[j].Requests })
	return nil
}

func (t *Totals) add(o *Totals) {
	t.Requests += o.Requests
	t.Errors += o.Errors
	t.CacheHits += o.CacheHits
	t.misses += o.misses
	t.InputTokens += o.InputTokens
	t.OutputTokens += o.OutputTokens
	t.CacheReadTokens += o.CacheReadTokens
	t.CacheCreationTokens += o.CacheCreationTokens
	t.CostUSD += o.CostUSD
	t.SavedTokens += o.SavedTokens
	t.SavedCostUSD += o.SavedCostUSD
	t.latencySum += o.latencySum
}

// finish derives the rates: the hit rate counts only calls that consulted
// the cache (hits and misses), not bypasses.
func (t *Totals) finish() {
	if n := t.CacheHits + t.misses; n > 0 {
		t.CacheHitRate = float64(t.CacheHits) / float64(n)
	}
	if t.Requests > 0 {
		t.AvgLatencyMs = float64(t.latencySum) / float64(t.Requests)
	}
}

func (s *Store) days(ctx context.Context, tx *sql.Tx, lo, hi int64, st *Stats) error {
	rows, err := tx.QueryContext(ctx, `SELECT ts / 86400000 AS d, COUNT(*),
		SUM(CASE WHEN `+hit+` THEN 0 ELSE input_tokens END),
		SUM(CASE WHEN `+hit+` THEN 0 ELSE output_tokens END),
		TOTAL(cost_usd), SUM(`+hit+`)
		FROM calls WHERE ts >= ? AND ts < ? GROUP BY d ORDER BY d`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d DayStats
		var day int64
		if err := rows.Scan(&day, &d.Requests, &d.InputTokens, &d.OutputTokens, &d.CostUSD, &d.CacheHits); err != nil {
			return err
		}
		d.Day = time.UnixMilli(day * 86400000).UTC().Format(time.DateOnly)
		st.Days = append(st.Days, d)
	}
	return rows.Err()
}

func (s *Store) recent(ctx context.Context, tx *sql.Tx, lo, hi int64, st *Stats) error {
	rows, err := tx.QueryContext(ctx, `SELECT ts, model, status, stream, cache, input_tokens, output_tokens,
		cache_read_tokens, cache_creation_tokens, latency_ms, ttfb_ms, cost_usd
		FROM calls WHERE ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?`, lo, hi, RecentLimit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c Call
		var ts int64
		var cost sql.NullFloat64
		if err := rows.Scan(&ts, &c.Model, &c.Status, &c.Stream, &c.Cache, &c.InputTokens, &c.OutputTokens,
			&c.CacheReadTokens, &c.CacheCreationTokens, &c.LatencyMs, &c.TTFBMs, &cost); err != nil {
			return err
		}
		c.Time = time.UnixMilli(ts).UTC()
		if cost.Valid {
			v := cost.Float64
			c.CostUSD = &v
		}
		st.Recent = append(st.Recent, c)
	}
	return rows.Err()
}
