package analytics

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Row is one stored call with its local id. Ids only grow: the writer is
// the one process that inserts, SQLite gives each row max(id)+1, and rows
// are never deleted, so a reader that has seen id n has seen every
// committed row below it.
type Row struct {
	ID int64
	Record
}

// RowsAfter returns up to limit rows with id > after, in id order.
func (s *Store) RowsAfter(ctx context.Context, after int64, limit int) ([]Row, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, ts, path, model, status, stream, cache,
		input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, latency_ms, ttfb_ms,
		cost_usd, saved_usd, route, cache_write_5m_tokens, cache_write_1h_tokens, session_id,
		project, client, credential, interrupted, error_type
		FROM calls WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("reading calls after id %d from %s: %w", after, s.path, err)
	}
	defer rows.Close()
	out := make([]Row, 0, min(limit, 4096))
	for rows.Next() {
		var r Row
		var ts, latency, ttfb int64
		var cost sql.NullFloat64
		if err := rows.Scan(&r.ID, &ts, &r.Path, &r.Model, &r.Status, &r.Stream, &r.Cache,
			&r.InputTokens, &r.OutputTokens, &r.CacheReadTokens, &r.CacheCreationTokens, &latency, &ttfb,
			&cost, &r.SavedUSD, &r.Route, &r.CacheWrite5mTokens, &r.CacheWrite1hTokens, &r.SessionID,
			&r.Project, &r.Client, &r.Credential, &r.Interrupted, &r.ErrorType); err != nil {
			return nil, fmt.Errorf("reading calls after id %d from %s: %w", after, s.path, err)
		}
		r.Time = time.UnixMilli(ts).UTC()
		r.Latency = time.Duration(latency) * time.Millisecond
		r.TTFB = time.Duration(ttfb) * time.Millisecond
		if cost.Valid {
			v := cost.Float64
			r.CostUSD = &v
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading calls after id %d from %s: %w", after, s.path, err)
	}
	return out, nil
}

// CountAfter counts the rows with id > after.
func (s *Store) CountAfter(ctx context.Context, after int64) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM calls WHERE id > ?`, after).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting calls after id %d in %s: %w", after, s.path, err)
	}
	return n, nil
}

// SourceID names this database's rows wherever they are copied to: a
// random UUID made once per database, so that two CCO_HOMEs, even on one
// machine, never share one. It is "" for a read-only store of a database
// that has none yet.
func (s *Store) SourceID() string { return s.sourceID }

// Meta returns the value stored under key, and whether there is one.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading %s from %s: %w", key, s.path, err)
	}
	return v, true, nil
}

// SetMeta stores value under key.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("writing %s to %s: %w", key, s.path, err)
	}
	return nil
}

// loadSourceID reads the source id, creating it first when create is set.
// INSERT OR IGNORE keeps the first one made should two processes open a
// new database at once.
func (s *Store) loadSourceID(ctx context.Context, create bool) error {
	if create {
		if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key, value) VALUES('source_id', ?)`, newUUID()); err != nil {
			return fmt.Errorf("creating the source id: %w", err)
		}
	}
	v, _, err := s.Meta(ctx, "source_id")
	s.sourceID = v
	return err
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// SavePlan keeps a credential's latest plan usage (JSON), so that a
// restart keeps it.
func (s *Store) SavePlan(ctx context.Context, credential string, seen time.Time, data []byte) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO plan_usage(credential, seen_ms, data) VALUES (?, ?, ?)
		ON CONFLICT(credential) DO UPDATE SET seen_ms = excluded.seen_ms, data = excluded.data`, credential, seen.UnixMilli(), string(data))
	if err != nil {
		return fmt.Errorf("saving the plan's usage to %s: %w", s.path, err)
	}
	return nil
}

// LoadPlans returns every credential's saved plan usage.
func (s *Store) LoadPlans(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT credential, data FROM plan_usage`)
	if err != nil {
		return nil, fmt.Errorf("reading the plan's usage from %s: %w", s.path, err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var cred, data string
		if err := rows.Scan(&cred, &data); err != nil {
			return nil, err
		}
		out[cred] = []byte(data)
	}
	return out, rows.Err()
}
