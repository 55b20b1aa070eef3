package analytics

import (
	"context"
	"fmt"
)

// migrations are applied in order; PRAGMA user_version records how many
// have run. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: one row per call. Times are Unix milliseconds (UTC). cost_usd is
	// what the call cost upstream (0 for a cache hit, NULL when the model's
	// price is unknown); saved_usd is what a cache hit would have cost.
	`CREATE TABLE calls (
		id                    INTEGER PRIMARY KEY,
		ts                    INTEGER NOT NULL,
		path                  TEXT    NOT NULL,
		model                 TEXT    NOT NULL DEFAULT '',
		status                INTEGER NOT NULL,
		stream                INTEGER NOT NULL DEFAULT 0,
		cache                 TEXT    NOT NULL,
		input_tokens          INTEGER NOT NULL DEFAULT 0,
		output_tokens         INTEGER NOT NULL DEFAULT 0,
		cache_read_tokens     INTEGER NOT NULL DEFAULT 0,
		cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
		latency_ms            INTEGER NOT NULL DEFAULT 0,
		ttfb_ms               INTEGER NOT NULL DEFAULT 0,
		cost_usd              REAL,
		saved_usd             REAL    NOT NULL DEFAULT 0
	);
	CREATE INDEX calls_ts ON calls(ts);
	CREATE INDEX calls_model_ts ON calls(model, ts);
	CREATE TABLE health (id INTEGER PRIMARY KEY, checked_at INTEGER NOT NULL);`,

	// 2: hourly roll-ups by model, kept by the writer in the same
	// transaction as the rows, so that statistics over long ranges read a
	// few thousand roll-up rows instead of every call. Token and cost sums
	// leave cache hits out (what went upstream); saved_* hold the hits.
	`CREATE TABLE calls_hourly (
		hour                  INTEGER NOT NULL,
		model                 TEXT    NOT NULL,
		requests              INTEGER NOT NULL,
		errors                INTEGER NOT NULL,
		hits                  INTEGER NOT NULL,
		misses                INTEGER NOT NULL,
		input_tokens          INTEGER NOT NULL,
		output_tokens         INTEGER NOT NULL,
		cache_read_tokens     INTEGER NOT NULL,
		cache_creation_tokens INTEGER NOT NULL,
		cost_usd              REAL    NOT NULL,
		saved_tokens          INTEGER NOT NULL,
		saved_usd             REAL    NOT NULL,
		latency_ms_sum        INTEGER NOT NULL,
		PRIMARY KEY (hour, model)
	) WITHOUT ROWID;
	INSERT INTO calls_hourly SELECT ts / 3600000, model, ` + rowAggregates + `
		FROM calls GROUP BY ts / 3600000, model;`,

	// 3: statistics by model read the roll-up now; the raw rows are only
	// read by time, so the (model, ts) index is upkeep on every insert
	// for nothing.
	`DROP INDEX IF EXISTS calls_model_ts;`,

	// 4: what a call was for and who made it, for team shipping; meta
	// holds per-database facts, such as the source_id that names this
	// database's rows in a shared team database.
	`ALTER TABLE calls ADD COLUMN route TEXT NOT NULL DEFAULT '';
	ALTER TABLE calls ADD COLUMN cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE calls ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE calls ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE calls ADD COLUMN project TEXT NOT NULL DEFAULT '';
	ALTER TABLE calls ADD COLUMN client TEXT NOT NULL DEFAULT '';
	ALTER TABLE calls ADD COLUMN credential TEXT NOT NULL DEFAULT '';
	ALTER TABLE calls ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE calls ADD COLUMN error_type TEXT NOT NULL DEFAULT '';
	CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,

	// 5: the hourly roll-up keyed by everything statistics group by (route,
	// model, session, project, client, credential), with the unpriced and
	// interrupted calls counted and each bucket's first and last call, so
	// that per-session or per-project views over a month read thousands of
	// roll-up rows, not every call. One session's own calls are read by
	// (session_id, ts). The plan's usage (the API's unified rate-limit
	// headers) is kept per credential, so a restart keeps it.
	`CREATE TABLE usage_hourly (
		hour                  INTEGER NOT NULL,
		route                 TEXT    NOT NULL,
		model                 TEXT    NOT NULL,
		session_id            TEXT    NOT NULL,
		project               TEXT    NOT NULL,
		client                TEXT    NOT NULL,
		credential            TEXT    NOT NULL,
		` + sumColumns + `,
		PRIMARY KEY (hour, route, model, session_id, project, client, credential)
	) WITHOUT ROWID;
	INSERT INTO usage_hourly SELECT ts / 3600000, route, model, session_id, project, client, credential, ` + rawSums + `
		FROM calls GROUP BY 1, 2, 3, 4, 5, 6, 7;
	DROP TABLE calls_hourly;
	CREATE INDEX calls_session_ts ON calls(session_id, ts) WHERE session_id != '';
	CREATE TABLE plan_usage (credential TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL, data TEXT NOT NULL);`,
}

// rowAggregates sums raw calls into migration 2's roll-up (calls_hourly),
// in its order. Shipped migrations keep using it.
const rowAggregates = `COUNT(*),
		SUM(status >= 400 OR status < 100),
		SUM(cache = 'hit'), SUM(cache = 'miss'),
		` + upstreamSums

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this cco knows (%d); use a newer cco or move the database away", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		// PRAGMA takes no parameters; i+1 is a number of our own.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}
