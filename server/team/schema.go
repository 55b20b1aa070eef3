package team

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations build the team database's schema, in order; cco_schema holds
// how many have run. Never edit one that has shipped: append a new one.
// Every daemon of a team runs them, so each must be right for a database
// that other cco versions are shipping into at the same time.
var migrations = []string{
	// 1: one row per call of every cco of the team. (source_id, local_id)
	// names a row wherever it came from: source_id is the UUID of the
	// local database, local_id its id there. cco_sources holds, per local
	// database, how far it has shipped; see shipBatch for why it is there.
	// cco_calls_hourly sums the calls per hour (UTC) and per user,
	// machine, project, model and session, in the transaction that adds
	// them, so that statistics read a few rows per session-hour instead of
	// every call: the calls of a session share its user, machine and
	// project, and mostly one or two models. Token sums, as in the local
	// statistics, leave cache hits out.
	`CREATE TABLE cco_sources (
		source_id       uuid PRIMARY KEY,
		machine         text        NOT NULL,
		"user"          text        NOT NULL,
		shipped_id      bigint      NOT NULL DEFAULT 0,
		first_seen      timestamptz NOT NULL DEFAULT now(),
		last_shipped_at timestamptz
	);
	CREATE TABLE cco_calls (
		source_id             uuid             NOT NULL,
		local_id              bigint           NOT NULL,
		machine               text             NOT NULL,
		"user"                text             NOT NULL,
		ts                    timestamptz      NOT NULL,
		path                  text             NOT NULL,
		model                 text             NOT NULL,
		status                integer          NOT NULL,
		stream                boolean          NOT NULL,
		cache                 text             NOT NULL,
		input_tokens          bigint           NOT NULL,
		output_tokens         bigint           NOT NULL,
		cache_read_tokens     bigint           NOT NULL,
		cache_creation_tokens bigint           NOT NULL,
		cache_write_5m_tokens bigint           NOT NULL,
		cache_write_1h_tokens bigint           NOT NULL,
		latency_ms            bigint           NOT NULL,
		ttfb_ms               bigint           NOT NULL,
		cost_usd              double precision,
		saved_usd             double precision NOT NULL,
		route                 text             NOT NULL,
		session_id            text             NOT NULL,
		project               text             NOT NULL,
		client                text             NOT NULL,
		credential            text             NOT NULL,
		interrupted           boolean          NOT NULL,
		error_type            text             NOT NULL,
		shipped_at            timestamptz      NOT NULL DEFAULT now(),
		CONSTRAINT cco_calls_source_local UNIQUE (source_id, local_id)
	);
	CREATE INDEX cco_calls_ts ON cco_calls (ts);
	CREATE TABLE cco_calls_hourly (
		hour                  timestamptz      NOT NULL,
		"user"                text             NOT NULL,
		machine               text             NOT NULL,
		project               text             NOT NULL,
		model                 text             NOT NULL,
		session_id            text             NOT NULL,
		requests              bigint           NOT NULL,
		errors                bigint           NOT NULL,
		cache_hits            bigint           NOT NULL,
		input_tokens          bigint           NOT NULL,
		output_tokens         bigint           NOT NULL,
		cache_read_tokens     bigint           NOT NULL,
		cache_creation_tokens bigint           NOT NULL,
		cost_usd              double precision NOT NULL,
		unpriced_requests     bigint           NOT NULL,
		first_ts              timestamptz      NOT NULL,
		last_ts               timestamptz      NOT NULL,
		interrupted           bigint           NOT NULL,
		subscription_cost_usd double precision NOT NULL,
		PRIMARY KEY (hour, "user", machine, project, model, session_id)
	);`,
}

// SchemaVersion is the team database schema this cco writes and reads.
var SchemaVersion = len(migrations)

// ErrSchemaTooNew means the team database was migrated by a newer cco
// than this one: writing rows in an older layout could lose columns the
// newer cco relies on, so this cco refuses to ship or read.
var ErrSchemaTooNew = errors.New("the team database schema is newer than this cco")

// schemaLock is the advisory lock key that serialises migrations across
// every daemon of a team ("cco_sch" in ASCII).
const schemaLock = 0x63636f5f736368

// migrate brings the team database's schema up to date, in one
// transaction under an advisory lock: two daemons starting at once
// migrate one after the other, and the second finds nothing left to do.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("starting the team schema migration: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		return fmt.Errorf("locking the team schema for migration: %w", err)
	}
	v, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if v < 0 {
		// Created only when missing: a team whose admin migrated once can
		// give daemons a role with no CREATE right.
		if _, err := tx.Exec(ctx, `CREATE TABLE cco_schema (
			one        boolean PRIMARY KEY DEFAULT true CHECK (one),
			version    integer     NOT NULL,
			updated_at timestamptz NOT NULL DEFAULT now()
		); INSERT INTO cco_schema (version) VALUES (0)`); err != nil {
			return fmt.Errorf("creating the team schema version table (does the team_url user have CREATE on the database?): %w", err)
		}
		v = 0
	}
	if v > SchemaVersion {
		return tooNew(v)
	}
	if v == SchemaVersion {
		return tx.Commit(ctx)
	}
	for i := v; i < SchemaVersion; i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return fmt.Errorf("team schema migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE cco_schema SET version = $1, updated_at = now()`, SchemaVersion); err != nil {
		return fmt.Errorf("recording team schema version %d: %w", SchemaVersion, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing the team schema migration: %w", err)
	}
	return nil
}

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// schemaVersion is the team database's schema version, -1 when it has no
// cco schema at all.
func schemaVersion(ctx context.Context, q queryer) (int, error) {
	// Two queries: one naming cco_schema fails to parse where it is missing.
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('cco_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("reading the team schema version: %w", err)
	}
	if !exists {
		return -1, nil
	}
	var v int
	err := q.QueryRow(ctx, `SELECT version FROM cco_schema`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the team schema version: %w", err)
	}
	return v, nil
}

// checkSchema is for readers: the schema must be exactly one this cco
// knows how to read.
func checkSchema(ctx context.Context, q queryer) error {
	v, err := schemaVersion(ctx, q)
	switch {
	case err != nil:
		return err
	case v > SchemaVersion:
		return tooNew(v)
	case v < 1:
		return errors.New("the team database has no cco tables yet: no cco has shipped to it (is team_url the right database?)")
	case v < SchemaVersion:
		return fmt.Errorf("the team database has schema version %d, older than this cco's %d; it is upgraded when a daemon of this version ships to it", v, SchemaVersion)
	}
	return nil
}

func tooNew(v int) error {
	return fmt.Errorf("%w: it is at version %d, this cco knows versions up to %d; upgrade cco", ErrSchemaTooNew, v, SchemaVersion)
}
