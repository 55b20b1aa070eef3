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
	if err := s.aggregate(ctx, tx, lo, hi, st); err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	if err := s.recent(ctx, tx, lo, hi, st); err != nil {
		return nil, fmt.Errorf("reading recent calls: %w", err)
	}
	return st, nil
}

const hourMs = 3600_000

// buckets reads per-hour, per-model sums for [lo, hi): whole hours from
// the roll-up table, the partial hours at either end from the raw rows.
func (s *Store) buckets(ctx context.Context, tx *sql.Tx, lo, hi int64, each func(hour int64, model string, t *Totals)) error {
	loH, hiH := ceilDiv(lo, hourMs), floorDiv(hi, hourMs)
	a := min(loH*hourMs, hi) // raw rows before the first whole hour
	b := max(hiH*hourMs, a)  // raw rows after the last whole hour
	raw := `SELECT ts / 3600000, model, ` + rowAggregates + ` FROM calls WHERE ts >= ? AND ts < ? GROUP BY ts / 3600000, model`
	rows, err := tx.QueryContext(ctx, `SELECT * FROM calls_hourly WHERE hour >= ? AND hour < ?
		UNION ALL `+raw+` UNION ALL `+raw, loH, hiH, lo, a, b, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var hour int64
		var model string
		var t Totals
		if err := rows.Scan(&hour, &model, &t.Requests, &t.Errors, &t.CacheHits, &t.misses,
			&t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheCreationTokens,
			&t.CostUSD, &t.SavedTokens, &t.SavedCostUSD, &t.latencySum); err != nil {
			return err
		}
		each(hour, model, &t)
	}
	return rows.Err()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// aggregate fills the totals, the per-model and the per-day figures.
func (s *Store) aggregate(ctx context.Context, tx *sql.Tx, lo, hi int64, st *Stats) error {
	models := map[string]*ModelStats{}
	days := map[int64]*DayStats{}
	err := s.buckets(ctx, tx, lo, hi, func(hour int64, model string, t *Totals) {
		m := models[model]
		if m == nil {
			m = &ModelStats{Model: model}
			models[model] = m
		}
		m.add(t)
		st.Totals.add(t)
		day := floorDiv(hour, 24)
		d := days[day]
		if d == nil {
			d = &DayStats{Day: time.UnixMilli(day * 24 * hourMs).UTC().Format(time.DateOnly)}
			days[day] = d
		}
		d.Requests += t.Requests
		d.InputTokens += t.InputTokens
		d.OutputTokens += t.OutputTokens
		d.CostUSD += t.CostUSD
		d.CacheHits += t.CacheHits
	})
	if err != nil {
		return err
	}
	st.Totals.finish()
	for _, m := range models {
		m.finish()
		st.Models = append(st.Models, *m)
	}
	// Busiest model first: that is what a reader looks for.
	sort.Slice(st.Models, func(i, j int) bool {
		if st.Models[i].Requests != st.Models[j].Requests {
			return st.Models[i].Requests > st.Models[j].Requests
		}
		return st.Models[i].Model < st.Models[j].Model
	})
	st.Models = foldModels(st.Models)
	keys := make([]int64, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		st.Days = append(st.Days, *days[k])
	}
	return nil
}

// MaxModels bounds the per-model list: model names come from clients, and
// a flood of made-up ones must not make the answer grow without bound.
const MaxModels = 100

// OtherModels names the row that sums the models past MaxModels.
const OtherModels = "(other models)"

// foldModels keeps the MaxModels-1 busiest models and sums the rest into
// one row, so the totals still add up.
func foldModels(models []ModelStats) []ModelStats {
	if len(models) <= MaxModels {
		return models
	}
	other := ModelStats{Model: OtherModels}
	for i := MaxModels - 1; i < len(models); i++ {
		other.add(&models[i].Totals)
	}
	other.finish()
	return append(models[:MaxModels-1], other)
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
