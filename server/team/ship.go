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
func (s *Shipper) shipBatch(ctx context.Context) (int, error) {
	// An idle daemon costs one index lookup here and no write.
	var cursor int64
	err := s.pool.QueryRow(ctx, `SELECT shipped_id FROM cco_sources WHERE source_id = $1`, s.source).Scan(&cursor)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("reading how far this database has shipped: %w", err)
	}
	s.setCursor(cursor)
	if n, err := s.store.CountAfter(ctx, cursor); err != nil || n == 0 {
		s.setPending(n)
		return 0, err
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("starting a shipment: %w", err)
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `INSERT INTO cco_sources (source_id, machine, "user") VALUES ($1, $2, $3)
		ON CONFLICT (source_id) DO UPDATE SET machine = excluded.machine, "user" = excluded."user"
		RETURNING shipped_id`, s.source, s.cfg.Machine, s.cfg.User).Scan(&cursor)
	if err != nil {
		return 0, fmt.Errorf("locking this database's shipping cursor: %w", err)
	}
	rows, err := s.store.RowsAfter(ctx, cursor, s.tune.batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := s.insert(ctx, tx, rows); err != nil {
		return 0, fmt.Errorf("inserting %d rows into cco_calls: %w", len(rows), err)
	}
	last := rows[len(rows)-1].ID
	if _, err := tx.Exec(ctx, `UPDATE cco_sources SET shipped_id = $2, last_shipped_at = now() WHERE source_id = $1`, s.source, last); err != nil {
		return 0, fmt.Errorf("moving the shipping cursor to %d: %w", last, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("committing %d rows: %w", len(rows), err)
	}
	s.setCursor(last)
	return len(rows), nil
}

// insert copies rows into a temporary table and moves them on from there:
// COPY is the fastest way in (see BenchmarkShip), and only INSERT can
// skip a row already there.
func (s *Shipper) insert(ctx context.Context, tx pgx.Tx, rows []analytics.Row) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS cco_calls_in
		(LIKE cco_calls INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"cco_calls_in"}, callColumns,
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return s.callValues(&rows[i]), nil }))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO cco_calls (`+columnList+`) SELECT `+columnList+` FROM cco_calls_in
		ON CONFLICT (source_id, local_id) DO NOTHING`)
	return err
}

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
