package team

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/analytics"
	"github.com/jackc/pgx/v5"
)

// multiRow is the alternative to copyRows: INSERT … VALUES with as many
// rows per statement as PostgreSQL's 65535 parameters allow.
func multiRow(s *Shipper, ctx context.Context, tx pgx.Tx, rows []analytics.Row) error {
	per := 65535 / len(callColumns)
	for len(rows) > 0 {
		n := min(per, len(rows))
		var q strings.Builder
		q.WriteString(`INSERT INTO cco_calls (` + columnList + `) VALUES `)
		args := make([]any, 0, n*len(callColumns))
		for i := range rows[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for j := range callColumns {
				if j > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "$%d", len(args)+j+1)
			}
			q.WriteByte(')')
			args = append(args, s.callValues(&rows[i])...)
		}
		q.WriteString(` ON CONFLICT (source_id, local_id) DO NOTHING`)
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// BenchmarkShip ships a local database of 50 000 calls into an empty team
// database, through the whole path (SQLite read, PostgreSQL write and
// commit), reporting rows/s for each way of inserting and batch size.
func BenchmarkShip(b *testing.B) {
	pg := testkit.StartPostgres(b)
	store := openStore(b, "")
	const total = 50000
	for i := 0; i < total/5000; i++ {
		addRows(b, store, 5000, func(j int, r *analytics.Record) {
			r.SessionID = fmt.Sprintf("session-%d", (i*5000+j)/200)
			r.Project = fmt.Sprintf("/src/project-%d", j%7)
		})
	}
	admin := connect(b, pg.URL())
	for _, m := range []struct {
		name   string
		insert func(*Shipper, context.Context, pgx.Tx, []analytics.Row) error
	}{{"copy", (*Shipper).copyRows}, {"multirow", multiRow}} {
		for _, batch := range []int{1000, 5000, 20000} {
			b.Run(fmt.Sprintf("%s/batch=%d", m.name, batch), func(b *testing.B) {
				tune := fast
				tune.batch, tune.insert, tune.poll = batch, m.insert, time.Hour
				// Not started: the benchmark drives shipBatch itself.
				sh, err := build(Config{URL: pg.URL()}, store, quiet(), tune)
				if err != nil {
					b.Fatal(err)
				}
				defer sh.pool.Close()
				ctx := context.Background()
				if err := sh.prepare(); err != nil {
					b.Fatal(err)
				}
				var elapsed time.Duration
				for i := 0; i < b.N; i++ {
					if _, err := admin.Exec(ctx, `TRUNCATE cco_calls, cco_calls_hourly, cco_sources`); err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					var ahead *readAhead
					for shipped := 0; shipped < total; {
						n, next, err := sh.shipBatch(ctx, ahead)
						if err != nil || n == 0 {
							b.Fatalf("shipped %d of %d: %v", shipped, total, err)
						}
						shipped, ahead = shipped+n, next
					}
					ahead.wait()
					elapsed += time.Since(start)
				}
				b.ReportMetric(float64(total*b.N)/elapsed.Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkStatsByUser groups a team database of 1 000 000 calls (50
// users on 100 machines, over 90 days) by user, over all of it, and by
// the other groupings and over a week for comparison.
func BenchmarkStatsByUser(b *testing.B) {
	pg := testkit.StartPostgres(b)
	db := loadCalls(b, pg, 1_000_000)
	for _, by := range []string{"user", "machine", "project", "model", "day", "session"} {
		b.Run(by, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				gs, err := db.Stats(context.Background(), Query{By: by})
				if err != nil || len(gs.Groups) == 0 {
					b.Fatal(gs, err)
				}
			}
		})
	}
	b.Run("user/last-7-days", func(b *testing.B) {
		until := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < b.N; i++ {
			if _, err := db.Stats(context.Background(), Query{By: "user", Since: until.Add(-7 * 24 * time.Hour), Until: until}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStatsTeamCLI times the real `cco stats --team --by user`, a
// whole process as a team lead runs it, over CCO_BENCH_TEAM_ROWS calls
// (default 1 000 000). The binary is $CCO_BENCH_BIN (make bench builds
// it); without it the benchmark is skipped.
func BenchmarkStatsTeamCLI(b *testing.B) {
	bin := os.Getenv("CCO_BENCH_BIN")
	if bin == "" {
		b.Skip("CCO_BENCH_BIN names no cco binary")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CCO_BENCH_TEAM_ROWS")); err == nil && v > 0 {
		n = v
	}
	pg := testkit.StartPostgres(b)
	loadCalls(b, pg, n)
	home := b.TempDir()
	env := append(os.Environ(), "HOME="+home, "CCO_HOME="+filepath.Join(home, ".cco"), "CCO_TEAM_URL="+pg.URL())
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "stats", "--team", "--by", "user", "--since", "365d")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "user-1") {
			b.Fatalf("cco stats --team: %v: %s", err, out)
		}
	}
}

// loadCalls fills the team database with n calls in SQL, which is
// quicker than shipping, then vacuums it as autovacuum would have by the
// time anyone asks for statistics.
func loadCalls(b *testing.B, pg *testkit.Postgres, n int) *DB {
	c := connect(b, pg.URL())
	if err := migrate(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	// Calls come in sessions of 300 (about 40 minutes), each on one
	// machine, for one user and project, mixing three models.
	_, err := c.Exec(context.Background(), `INSERT INTO cco_calls (`+columnList+`)
		SELECT md5((i / 300 % 100)::text)::uuid, i, 'machine-' || (i / 300 % 100), 'user-' || (i / 300 % 50),
			timestamptz '2026-01-01' + (i * interval '7776 milliseconds'), '/v1/messages',
			(ARRAY['claude-opus','claude-sonnet','claude-haiku'])[1 + i % 3], CASE WHEN i % 50 = 0 THEN 529 ELSE 200 END,
			true, CASE WHEN i % 4 = 0 THEN 'hit' ELSE 'miss' END, 1000 + i % 500, 200, 5000, 300, 300, 0, 1500, 400,
			CASE WHEN i % 97 = 0 THEN NULL ELSE 0.01 END, 0, 'messages', 'session-' || (i / 300),
			'/src/project-' || (i / 300 % 40), 'claude-code', 'oauth', false, ''
		FROM generate_series(1, `+strconv.Itoa(n)+`) AS i;
		INSERT INTO cco_calls_hourly SELECT date_trunc('hour', ts, 'UTC'), "user", machine, project, model, session_id, `+rawSums+`
		FROM cco_calls GROUP BY 1, 2, 3, 4, 5, 6`)
	if err != nil {
		b.Fatal(err)
	}
	var buckets int64
	if err := c.QueryRow(context.Background(), `SELECT count(*) FROM cco_calls_hourly`).Scan(&buckets); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d calls in %d roll-up rows", n, buckets)
	for _, table := range []string{"cco_calls", "cco_calls_hourly"} {
		if _, err := c.Exec(context.Background(), `VACUUM ANALYZE `+table); err != nil {
			b.Fatal(err)
		}
	}
	db, err := OpenDB(context.Background(), pg.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	b.ResetTimer()
	return db
}
