package analytics

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Stats is the answer of GET /api/stats and cco stats --json. Token and
// cost figures count what went upstream; what a cache hit served instead is
// counted in saved_tokens and saved_cost_usd.
type Stats struct {
	Since   time.Time    `json:"since"`
	Until   time.Time    `json:"until"`
	Session string       `json:"session,omitempty"` // the filter, when one was asked
	Project string       `json:"project,omitempty"`
	Totals  Totals       `json:"totals"`
	Models  []ModelStats `json:"models"`
	Routes  []RouteStats `json:"routes"`
	Days    []DayStats   `json:"days"`
	Recent  []Call       `json:"recent"`
}

// Totals are the figures of a set of calls.
type Totals struct {
	Requests            int64   `json:"requests"`
	Errors              int64   `json:"errors"`
	Interrupted         int64   `json:"interrupted"`
	CacheHits           int64   `json:"cache_hits"`
	CacheHitRate        float64 `json:"cache_hit_rate"`
	InputTokens         int64   `json:"input_tokens"`
	OutputTokens        int64   `json:"output_tokens"`
	CacheReadTokens     int64   `json:"cache_read_tokens"`
	CacheCreationTokens int64   `json:"cache_creation_tokens"`
	// CostUSD is the estimated cost of the priced calls: API-key spend
	// plus what subscription calls would cost on the API.
	CostUSD             float64 `json:"cost_usd"`
	APIKeyCostUSD       float64 `json:"api_key_cost_usd"`
	SubscriptionCostUSD float64 `json:"subscription_cost_usd"` // API-equivalent
	UnpricedRequests    int64   `json:"unpriced_requests"`     // calls with tokens but no known price
	SavedTokens         int64   `json:"saved_tokens"`
	SavedCostUSD        float64 `json:"saved_cost_usd"`
	AvgLatencyMs        float64 `json:"avg_latency_ms"`

	misses     int64
	latencySum int64
}

// ModelStats are the totals of one model ("" for calls with no model).
// Its cost is null when no call of it could be priced.
type ModelStats struct {
	Model string `json:"model"`
	Totals
	CostUSD *float64 `json:"cost_usd"`
}

// RouteStats count the calls of one API route: Messages calls and the
// others (count_tokens, models), which have no model and no cost.
type RouteStats struct {
	Route    string `json:"route"`
	Requests int64  `json:"requests"`
	Errors   int64  `json:"errors"`
}

// DayStats are one UTC day's figures.
type DayStats struct {
	Day              string  `json:"day"`
	Requests         int64   `json:"requests"`
	InputTokens      int64   `json:"input_tokens"`
	OutputTokens     int64   `json:"output_tokens"`
	CostUSD          float64 `json:"cost_usd"`
	CacheHits        int64   `json:"cache_hits"`
	UnpricedRequests int64   `json:"unpriced_requests"`
}

// Call is one recent call.
type Call struct {
	Time                time.Time `json:"time"`
	Route               string    `json:"route"`
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
	Session             string    `json:"session,omitempty"`
	Project             string    `json:"project,omitempty"`
	Client              string    `json:"client,omitempty"`
	Credential          string    `json:"credential,omitempty"`
	Interrupted         bool      `json:"interrupted,omitempty"`
	ErrorType           string    `json:"error_type,omitempty"`
}

// Filter narrows statistics to one session or one project.
type Filter struct {
	Session, Project string
}

// RecentLimit is how many calls Stats lists; SessionCallsLimit how many
// when one session is asked for (cco stats --session shows its calls).
const (
	RecentLimit       = 50
	SessionCallsLimit = 1000
)

// MessagesRoute is the route whose calls have a model and a cost.
const MessagesRoute = "/v1/messages"

// Stats aggregates the calls with since <= time < until, in SQL.
func (s *Store) Stats(ctx context.Context, since, until time.Time, f Filter) (*Stats, error) {
	st := &Stats{Since: since.UTC(), Until: until.UTC(), Session: f.Session, Project: f.Project,
		Models: []ModelStats{}, Routes: []RouteStats{}, Days: []DayStats{}, Recent: []Call{}}
	// One read transaction, so the parts agree with each other.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	defer tx.Rollback()
	lo, hi := since.UnixMilli(), until.UnixMilli()
	models := map[string]*modelSums{}
	routes := map[string]*RouteStats{}
	days := map[int64]*DayStats{}
	err = s.buckets(ctx, tx, lo, hi, f, func(k bucketKey, b *sums) {
		st.Totals.addSums(k, b)
		if isMessages(k.route) {
			m := models[k.model]
			if m == nil {
				m = &modelSums{}
				models[k.model] = m
			}
			m.Totals.addSums(k, b)
		}
		r := routes[k.route]
		if r == nil {
			r = &RouteStats{Route: k.route}
			routes[k.route] = r
		}
		r.Requests += b.requests
		r.Errors += b.errors
		day := floorDiv(k.hour, 24)
		d := days[day]
		if d == nil {
			d = &DayStats{Day: time.UnixMilli(day * 24 * hourMs).UTC().Format(time.DateOnly)}
			days[day] = d
		}
		d.Requests += b.requests
		d.InputTokens += b.input
		d.OutputTokens += b.output
		d.CostUSD += b.cost
		d.CacheHits += b.hits
		d.UnpricedRequests += b.unpriced
	})
	if err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	st.Totals.finish()
	for name, m := range models {
		m.finish()
		ms := ModelStats{Model: name, Totals: m.Totals}
		if m.Requests > m.UnpricedRequests || m.CostUSD != 0 {
			ms.CostUSD = &ms.Totals.CostUSD
		}
		st.Models = append(st.Models, ms)
	}
	// Busiest model first: that is what a reader looks for.
	slices.SortFunc(st.Models, func(a, b ModelStats) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Model, b.Model))
	})
	st.Models = foldModels(st.Models)
	for _, r := range routes {
		st.Routes = append(st.Routes, *r)
	}
	slices.SortFunc(st.Routes, func(a, b RouteStats) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route))
	})
	for _, k := range slices.Sorted(maps.Keys(days)) {
		st.Days = append(st.Days, *days[k])
	}
	limit := RecentLimit
	if f.Session != "" {
		limit = SessionCallsLimit
	}
	if st.Recent, err = s.recent(ctx, tx, lo, hi, f, limit); err != nil {
		return nil, fmt.Errorf("reading recent calls: %w", err)
	}
	return st, nil
}

type modelSums struct{ Totals }

// isMessages reports whether a route's calls have a model and a cost: the
// Messages route, and rows written before routes were recorded.
func isMessages(route string) bool { return route == MessagesRoute || route == "" }

func (t *Totals) addSums(k bucketKey, b *sums) {
	t.Requests += b.requests
	t.Errors += b.errors
	t.Interrupted += b.interrupted
	t.CacheHits += b.hits
	t.misses += b.misses
	t.InputTokens += b.input
	t.OutputTokens += b.output
	t.CacheReadTokens += b.cacheRead
	t.CacheCreationTokens += b.cacheCreation
	t.CostUSD += b.cost
	if k.credential == CredentialOAuth {
		t.SubscriptionCostUSD += b.cost
	} else {
		t.APIKeyCostUSD += b.cost
	}
	t.UnpricedRequests += b.unpriced
	t.SavedTokens += b.savedTokens
	t.SavedCostUSD += b.saved
	t.latencySum += b.latencySum
}

func (t *Totals) add(o *Totals) {
	t.Requests += o.Requests
	t.Errors += o.Errors
	t.Interrupted += o.Interrupted
	t.CacheHits += o.CacheHits
	t.misses += o.misses
	t.InputTokens += o.InputTokens
	t.OutputTokens += o.OutputTokens
	t.CacheReadTokens += o.CacheReadTokens
	t.CacheCreationTokens += o.CacheCreationTokens
	t.CostUSD += o.CostUSD
	t.APIKeyCostUSD += o.APIKeyCostUSD
	t.SubscriptionCostUSD += o.SubscriptionCostUSD
	t.UnpricedRequests += o.UnpricedRequests
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
	other.CostUSD = &other.Totals.CostUSD
	return append(models[:MaxModels-1], other)
}

const hourMs = 3600_000

// buckets reads per-hour sums for [lo, hi) by every key of usage_hourly:
// whole hours from the roll-up, the partial hours at either end from the
// raw rows.
func (s *Store) buckets(ctx context.Context, tx *sql.Tx, lo, hi int64, f Filter, each func(bucketKey, *sums)) error {
	loH, hiH := ceilDiv(lo, hourMs), floorDiv(hi, hourMs)
	a := min(loH*hourMs, hi) // raw rows before the first whole hour
	b := max(hiH*hourMs, a)  // raw rows after the last whole hour
	where, args := f.where()
	const keys = `route, model, session_id, project, client, credential`
	raw := `SELECT ts / 3600000, ` + keys + `, ` + rawSums + ` FROM calls WHERE ts >= ? AND ts < ?` + where + ` GROUP BY 1, 2, 3, 4, 5, 6, 7`
	q := `SELECT hour, ` + keys + `, requests, errors, hits, misses, interrupted, unpriced, input_tokens,
		output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, saved_tokens, saved_usd,
		latency_ms_sum, first_ms, last_ms FROM usage_hourly WHERE hour >= ? AND hour < ?` + where +
		` UNION ALL ` + raw + ` UNION ALL ` + raw
	all := append(append(append([]any{loH, hiH}, args...), append([]any{lo, a}, args...)...), append([]any{b, hi}, args...)...)
	rows, err := tx.QueryContext(ctx, q, all...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k bucketKey
		var b sums
		dst := append([]any{&k.hour, &k.route, &k.model, &k.session, &k.project, &k.client, &k.credential}, b.scanTargets()...)
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		each(k, &b)
	}
	return rows.Err()
}

// where is the SQL condition of the filter, for usage_hourly and calls
// alike (they name the columns the same).
func (f Filter) where() (string, []any) {
	var w string
	var args []any
	if f.Session != "" {
		w += ` AND session_id = ?`
		args = append(args, f.Session)
	}
	if f.Project != "" {
		w += ` AND project = ?`
		args = append(args, f.Project)
	}
	return w, args
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

func (s *Store) recent(ctx context.Context, tx *sql.Tx, lo, hi int64, f Filter, limit int) ([]Call, error) {
	where, args := f.where()
	rows, err := tx.QueryContext(ctx, `SELECT ts, route, model, status, stream, cache, input_tokens, output_tokens,
		cache_read_tokens, cache_creation_tokens, latency_ms, ttfb_ms, cost_usd, session_id, project, client,
		credential, interrupted, error_type
		FROM calls WHERE ts >= ? AND ts < ?`+where+` ORDER BY ts DESC, id DESC LIMIT ?`,
		append(append([]any{lo, hi}, args...), limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	calls := []Call{}
	for rows.Next() {
		var c Call
		var ts int64
		var cost sql.NullFloat64
		if err := rows.Scan(&ts, &c.Route, &c.Model, &c.Status, &c.Stream, &c.Cache, &c.InputTokens, &c.OutputTokens,
			&c.CacheReadTokens, &c.CacheCreationTokens, &c.LatencyMs, &c.TTFBMs, &cost, &c.Session, &c.Project,
			&c.Client, &c.Credential, &c.Interrupted, &c.ErrorType); err != nil {
			return nil, err
		}
		c.Time = time.UnixMilli(ts).UTC()
		if cost.Valid {
			v := cost.Float64
			c.CostUSD = &v
		}
		calls = append(calls, c)
	}
	return calls, rows.Err()
}
