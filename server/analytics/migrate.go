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
}

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
