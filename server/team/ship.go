package team

import (
	"context"
	"errors"
	"fmt"

	"github.com/anthropics/cco/server/analytics"
	"github.com/jackc/pgx/v5"
)

// callColumns are the cco_calls columns a shipment fills, in the order
// callValues gives them; shipped_at is left to its default.
var callColumns = []string{"source_id", "local_id", "machine", "user", "ts", "path", "model", "status", "stream",
	"cache", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
	"cache_write_5m_tokens", "cache_write_1h_tokens", "latency_ms", "ttfb_ms", "cost_usd", "saved_usd",
	"route", "session_id", "project", "client", "credential", "interrupted", "error_type"}

func (s *Shipper) callValues(r *analytics.Row) []any {
	var cost any
	if r.CostUSD != nil {
		cost = *r.CostUSD
	}
	return []any{s.source, r.ID, s.cfg.Machine, s.cfg.User, r.Time, r.Path, r.Model, r.Status, r.Stream,
		r.Cache, r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheCreationTokens,
		r.CacheWrite5mTokens, r.CacheWrite1hTokens, r.Latency.Milliseconds(), r.TTFB.Milliseconds(), cost, r.SavedUSD,
		r.Route, r.SessionID, r.Project, r.Client, r.Credential, r.Interrupted, r.ErrorType}
}

// shipBatch sends the next batch of local rows and returns how many it
// sent.
//
// The cursor (how far this local database has shipped) is
// cco_sources.shipped_id in PostgreSQL, and it moves in the same
// transaction that inserts the rows, so the rows and the cursor commit
// together or not at all:
//   - kill -9 (or a lost connection) before COMMIT reaches PostgreSQL: the
//     transaction is rolled back, neither rows nor cursor moved, and the
//     next start reads the same rows again;
//   - kill -9 after COMMIT: rows and cursor are both there; a cursor kept
//     locally would be behind here, which is why it is not;
//   - a retry of a batch whose COMMIT outcome was never seen re-reads the
//     cursor first, and ON CONFLICT (source_id, local_id) DO NOTHING would
//     drop any row sent twice anyway;
//   - two daemons on one CCO_HOME (same source_id) take the cco_sources
//     row lock with the upsert below, so the second waits for the first's
//     commit and then reads the cursor it left: they ship one after the
//     other, never the same rows side by side.
//
// Local ids only grow (see analytics.Row), so "everything up to the
// cursor is shipped" stays true as new rows arrive.
func (s *Shipper) shipBatch(ctx context.Context, ahead *readAhead) (n int, next *readAhead, err error) {
	var cursor int64
	if ahead == nil {
		// An idle daemon costs one index lookup here and no write.
		err := s.pool.QueryRow(ctx, `SELECT shipped_id FROM cco_sources WHERE source_id = $1`, s.source).Scan(&cursor)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, fmt.Errorf("reading how far this database has shipped: %w", err)
		}
		s.setCursor(cursor)
		if n, err := s.store.CountAfter(ctx, cursor); err != nil || n == 0 {
			s.pending.Store(n)
			return 0, nil, err
		}
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("starting a shipment: %w", err)
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `INSERT INTO cco_sources (source_id, machine, "user") VALUES ($1, $2, $3)
		ON CONFLICT (source_id) DO UPDATE SET machine = excluded.machine, "user" = excluded."user"
		RETURNING shipped_id`, s.source, s.cfg.Machine, s.cfg.User).Scan(&cursor)
	if err != nil {
		return 0, nil, fmt.Errorf("locking this database's shipping cursor: %w", err)
	}
	rows, err := ahead.rowsAfter(s, ctx, cursor)
	if err != nil || len(rows) == 0 {
		if err == nil {
			s.countPending()
		}
		return 0, nil, err
	}
	last := rows[len(rows)-1].ID
	if len(rows) == s.tune.batch {
		// More is likely waiting: read it while PostgreSQL works on this.
		next = s.readAhead(ctx, last)
	}
	if err := s.tune.insert(s, ctx, tx, rows); err != nil {
		return 0, next, fmt.Errorf("inserting %d rows into cco_calls: %w", len(rows), err)
	}
	if _, err := tx.Exec(ctx, `UPDATE cco_sources SET shipped_id = $2, last_shipped_at = now() WHERE source_id = $1`, s.source, last); err != nil {
		return 0, next, fmt.Errorf("moving the shipping cursor to %d: %w", last, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, next, fmt.Errorf("committing %d rows: %w", len(rows), err)
	}
	s.setCursor(last)
	if next != nil {
		// Counting what is left costs a scan of it: while catching up a
		// backlog, subtract instead, and count once at the end.
		s.pending.Store(max(s.pending.Load()-int64(len(rows)), 0))
	} else {
		s.countPending()
	}
	return len(rows), next, nil
}

// readAhead is a read of local rows started before the shipment that
// needs them, so that SQLite and PostgreSQL work at the same time.
type readAhead struct {
	after int64
	done  chan struct{}
	rows  []analytics.Row
	err   error
}

func (s *Shipper) readAhead(ctx context.Context, after int64) *readAhead {
	r := &readAhead{after: after, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.rows, r.err = s.store.RowsAfter(ctx, after, s.tune.batch)
	}()
	return r
}

// rowsAfter returns the rows after cursor: those read ahead when they
// start there (they may be fewer than are there now, which only makes
// the batch smaller), else a fresh read. The cursor just locked decides,
// never the read-ahead's guess.
func (r *readAhead) rowsAfter(s *Shipper, ctx context.Context, cursor int64) ([]analytics.Row, error) {
	if r != nil {
		<-r.done
		if r.err == nil && r.after == cursor && len(r.rows) > 0 {
			return r.rows, nil
		}
	}
	return s.store.RowsAfter(ctx, cursor, s.tune.batch)
}

// wait lets an unused read-ahead finish, so that nothing reads the store
// after the shipper has stopped.
func (r *readAhead) wait() {
	if r != nil {
		<-r.done
	}
}

// insert copies rows into a temporary table and moves them on from there:
// COPY is the fastest way in (see BenchmarkShip), and only INSERT can
// skip a row already there.
func (s *Shipper) copyRows(ctx context.Context, tx pgx.Tx, rows []analytics.Row) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS cco_calls_in
		(LIKE cco_calls INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"cco_calls_in"}, callColumns,
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return s.callValues(&rows[i]), nil }))
	if err != nil {
		return err
	}
	// Only the rows actually inserted (RETURNING) are added to the roll-up,
	// so a row sent twice is counted once. Upserting the buckets in key
	// order makes two shipments that touch the same buckets lock them in
	// the same order, which rules out deadlocks between them.
	_, err = tx.Exec(ctx, `WITH ins AS (
			INSERT INTO cco_calls (`+columnList+`) SELECT `+columnList+` FROM cco_calls_in
			ON CONFLICT (source_id, local_id) DO NOTHING
			RETURNING ts, "user", machine, project, model, session_id, status, cache, input_tokens,
				output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, interrupted, credential)
		INSERT INTO cco_calls_hourly AS h
		SELECT date_trunc('hour', ts, 'UTC'), "user", machine, project, model, session_id, `+rawSums+`
		FROM ins GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
		ON CONFLICT (hour, "user", machine, project, model, session_id) DO UPDATE SET
			requests = h.requests + excluded.requests, errors = h.errors + excluded.errors,
			cache_hits = h.cache_hits + excluded.cache_hits,
			input_tokens = h.input_tokens + excluded.input_tokens,
			output_tokens = h.output_tokens + excluded.output_tokens,
			cache_read_tokens = h.cache_read_tokens + excluded.cache_read_tokens,
			cache_creation_tokens = h.cache_creation_tokens + excluded.cache_creation_tokens,
			cost_usd = h.cost_usd + excluded.cost_usd,
			unpriced_requests = h.unpriced_requests + excluded.unpriced_requests,
			first_ts = least(h.first_ts, excluded.first_ts), last_ts = greatest(h.last_ts, excluded.last_ts),
			interrupted = h.interrupted + excluded.interrupted,
			subscription_cost_usd = h.subscription_cost_usd + excluded.subscription_cost_usd`)
	return err
}

// rawSums sums raw calls into cco_calls_hourly's figures, in its column
// order: Stats adds them to the roll-up's for the partial hours at the
// ends of a range.
const rawSums = `count(*), count(*) FILTER (WHERE status >= 400 OR status < 100),
	count(*) FILTER (WHERE cache = 'hit'),
	coalesce(sum(input_tokens) FILTER (WHERE cache <> 'hit'), 0),
	coalesce(sum(output_tokens) FILTER (WHERE cache <> 'hit'), 0),
	coalesce(sum(cache_read_tokens) FILTER (WHERE cache <> 'hit'), 0),
	coalesce(sum(cache_creation_tokens) FILTER (WHERE cache <> 'hit'), 0),
	coalesce(sum(cost_usd), 0), count(*) FILTER (WHERE cost_usd IS NULL), min(ts), max(ts),
	count(*) FILTER (WHERE interrupted), coalesce(sum(cost_usd) FILTER (WHERE credential = 'oauth'), 0)`

var columnList = func() string {
	var b []byte
	for i, c := range callColumns {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, pgx.Identifier{c}.Sanitize()...)
	}
	return string(b)
}()
