package analytics

import (
	"context"
	"database/sql"
)

// sumColumns are usage_hourly's figures, in the order rawSums computes
// them and sums scans them.
const sumColumns = `requests INTEGER NOT NULL, errors INTEGER NOT NULL, hits INTEGER NOT NULL,
		misses INTEGER NOT NULL, interrupted INTEGER NOT NULL, unpriced INTEGER NOT NULL,
		input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
		cache_read_tokens INTEGER NOT NULL, cache_creation_tokens INTEGER NOT NULL,
		cost_usd REAL NOT NULL, saved_tokens INTEGER NOT NULL, saved_usd REAL NOT NULL,
		latency_ms_sum INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL`

// rawSums sums raw calls into those figures, as upsertRollup does in Go.
// Token and cost sums leave cache hits out (what went upstream); a hit's
// tokens are saved_tokens. A call is unpriced when its cost is unknown
// (NULL) and it was not a hit.
const rawSums = `COUNT(*),
		SUM(status >= 400 OR status < 100),
		SUM(cache = 'hit'), SUM(cache = 'miss'), SUM(interrupted),
		SUM(cost_usd IS NULL AND cache != 'hit'),
		` + upstreamSums + `, MIN(ts), MAX(ts)`

// upstreamSums are the token, cost and latency sums both roll-ups share,
// in their order: tokens and cost of what went upstream, then a hit's
// tokens (saved_tokens), saved cost and latency. Migration 2 uses them:
// they stay as they are.
const upstreamSums = `SUM(CASE WHEN cache = 'hit' THEN 0 ELSE input_tokens END),
		SUM(CASE WHEN cache = 'hit' THEN 0 ELSE output_tokens END),
		SUM(CASE WHEN cache = 'hit' THEN 0 ELSE cache_read_tokens END),
		SUM(CASE WHEN cache = 'hit' THEN 0 ELSE cache_creation_tokens END),
		TOTAL(cost_usd),
		SUM(CASE WHEN cache = 'hit' THEN input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens ELSE 0 END),
		TOTAL(saved_usd), SUM(latency_ms)`

// bucketKey is what usage_hourly is keyed by.
type bucketKey struct {
	hour                                               int64
	route, model, session, project, client, credential string
}

// sums are one bucket's figures.
type sums struct {
	requests, errors, hits, misses, interrupted, unpriced int64
	input, output, cacheRead, cacheCreation               int64
	cost                                                  float64
	savedTokens                                           int64
	saved                                                 float64
	latencySum, first, last                               int64
}

func (a *sums) add(b *sums) {
	if a.requests == 0 || b.first < a.first {
		a.first = b.first
	}
	a.last = max(a.last, b.last)
	a.requests += b.requests
	a.errors += b.errors
	a.hits += b.hits
	a.misses += b.misses
	a.interrupted += b.interrupted
	a.unpriced += b.unpriced
	a.input += b.input
	a.output += b.output
	a.cacheRead += b.cacheRead
	a.cacheCreation += b.cacheCreation
	a.cost += b.cost
	a.savedTokens += b.savedTokens
	a.saved += b.saved
	a.latencySum += b.latencySum
}

// record is one call as sums, with rawSums' rules.
func (r *Record) sums() sums {
	ms := r.Time.UnixMilli()
	s := sums{requests: 1, latencySum: r.Latency.Milliseconds(), first: ms, last: ms, saved: r.SavedUSD}
	if r.Status >= 400 || r.Status < 100 {
		s.errors = 1
	}
	if r.Interrupted {
		s.interrupted = 1
	}
	switch r.Cache {
	case "hit":
		s.hits = 1
		s.savedTokens = r.InputTokens + r.OutputTokens + r.CacheReadTokens + r.CacheCreationTokens
	case "miss":
		s.misses = 1
	}
	if r.Cache != "hit" {
		s.input, s.output, s.cacheRead, s.cacheCreation = r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheCreationTokens
		if r.CostUSD == nil {
			s.unpriced = 1
		}
	}
	if r.CostUSD != nil {
		s.cost = *r.CostUSD
	}
	return s
}

func (r *Record) bucket() bucketKey {
	return bucketKey{floorDiv(r.Time.UnixMilli(), hourMs), r.Route, r.Model, r.SessionID, r.Project, r.Client, r.Credential}
}

func (s *sums) scanTargets() []any {
	return []any{&s.requests, &s.errors, &s.hits, &s.misses, &s.interrupted, &s.unpriced,
		&s.input, &s.output, &s.cacheRead, &s.cacheCreation, &s.cost, &s.savedTokens, &s.saved,
		&s.latencySum, &s.first, &s.last}
}

// upsertRollup adds recs to usage_hourly in the transaction that writes
// them.
func upsertRollup(ctx context.Context, tx *sql.Tx, recs []Record) error {
	buckets := map[bucketKey]*sums{}
	for i := range recs {
		k, s := recs[i].bucket(), recs[i].sums()
		if b := buckets[k]; b != nil {
			b.add(&s)
		} else {
			buckets[k] = &s
		}
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO usage_hourly VALUES (?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (hour, route, model, session_id, project, client, credential) DO UPDATE SET
		requests = requests + excluded.requests, errors = errors + excluded.errors,
		hits = hits + excluded.hits, misses = misses + excluded.misses,
		interrupted = interrupted + excluded.interrupted, unpriced = unpriced + excluded.unpriced,
		input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
		cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
		cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
		cost_usd = cost_usd + excluded.cost_usd, saved_tokens = saved_tokens + excluded.saved_tokens,
		saved_usd = saved_usd + excluded.saved_usd, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum,
		first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for k, s := range buckets {
		args := append([]any{k.hour, k.route, k.model, k.session, k.project, k.client, k.credential},
			s.requests, s.errors, s.hits, s.misses, s.interrupted, s.unpriced, s.input, s.output,
			s.cacheRead, s.cacheCreation, s.cost, s.savedTokens, s.saved, s.latencySum, s.first, s.last)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
