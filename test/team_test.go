//go:build linux

package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/analytics"
)

// The team database is a real PostgreSQL (testkit runs a private one);
// the daemons are the real binary.

// teamEnv is a machine of the team: its own CCO_HOME shipping to pg under
// the labels machine and user.
func teamEnv(t *testing.T, upstream string, pg *testkit.Postgres, machine, user string) *relEnv {
	return newRelEnv(t, upstream, "CCO_TEAM_URL="+pg.URL(), "CCO_MACHINE="+machine, "CCO_USER="+user)
}

// teamStatus is /api/status's team block.
type teamStatus struct {
	URL           string     `json:"url"`
	Connected     bool       `json:"connected"`
	Shipped       int64      `json:"shipped"`
	Pending       int64      `json:"pending"`
	LastShippedAt *time.Time `json:"last_shipped_at"`
	LastError     string     `json:"last_error"`
}

func (e *relEnv) team() teamStatus {
	e.t.Helper()
	var st struct{ Team *teamStatus }
	getJSON(e.t, e.base+"/api/status", &st)
	require.NotNil(e.t, st.Team, "/api/status has a team block when team_url is set")
	return *st.Team
}

// calls sends n calls, each a new question (no cache hit), and requires
// every answer.
func (e *relEnv) calls(n int, prefix string) {
	e.t.Helper()
	for i := range n {
		code, _, body, err := e.message(messageBody(fmt.Sprintf("%s-%05d", prefix, i), false))
		require.NoError(e.t, err)
		require.Equal(e.t, 200, code, "%s", body)
	}
}

// teamRows counts the team database's rows from source and how many
// distinct local ids they have (equal: no row twice).
func teamRows(t *testing.T, pg *testkit.Postgres, where string) (rows, distinct int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := pgx.Connect(ctx, pg.URL())
	require.NoError(t, err)
	defer c.Close(ctx)
	q := `SELECT count(*), count(DISTINCT (source_id, local_id)) FROM cco_calls`
	if where != "" {
		q += " WHERE " + where
	}
	require.NoError(t, c.QueryRow(ctx, q).Scan(&rows, &distinct))
	return rows, distinct
}

func waitTeamRows(t *testing.T, pg *testkit.Postgres, n int64) {
	t.Helper()
	require.NoError(t, waitFor(fmt.Sprintf("%d rows in the team database", n), func() (bool, error) {
		got, _ := teamRowsQuiet(pg)
		return got >= n, nil
	}))
}

// teamRowsQuiet is teamRows for polling: 0 while the database cannot be
// read (not migrated yet, or down).
func teamRowsQuiet(pg *testkit.Postgres) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	var n int64
	err = c.QueryRow(ctx, `SELECT count(*) FROM cco_calls`).Scan(&n)
	return n, err
}

// TestTeamTwoMachines: two CCO_HOMEs with their own machine and user
// labels ship into one PostgreSQL; `cco stats --team` adds them up
// exactly, by machine and by user, with no daemon needed to ask; the
// password is never shown.
func TestTeamTwoMachines(t *testing.T) {
	pg := testkit.StartPostgres(t)
	up := newFaultyUpstream(t)
	laptop, desktop := teamEnv(t, up.URL, pg, "laptop", "ann"), teamEnv(t, up.URL, pg, "desktop", "bob")
	d1, d2 := laptop.startDaemon(), desktop.startDaemon()
	laptop.calls(7, "team-a")
	desktop.calls(5, "team-b")
	waitTeamRows(t, pg, 12)
	require.NoError(t, waitFor("both to be shipped", func() (bool, error) {
		return laptop.team().Pending == 0 && desktop.team().Pending == 0, nil
	}))

	st := laptop.team()
	assert.True(t, st.Connected)
	assert.EqualValues(t, 7, st.Shipped)
	assert.NotContains(t, st.URL, pg.Password, "the password is hidden")
	out, _, code := laptop.cco("status")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "team:     up to date, last shipped at ")
	assert.NotContains(t, out, pg.Password)
	out, _, _ = laptop.cco("config", "show")
	assert.NotContains(t, out, pg.Password)
	assert.Contains(t, laptop.metricsText(), "cco_team_pending_rows 0")

	d1.stop()
	d2.stop()
	assert.NotContains(t, d1.output(), pg.Password, "nor in the log")

	// Any machine with read access asks PostgreSQL directly.
	var gs analytics.GroupStats
	out, stderr, code := laptop.cco("stats", "--team", "--by", "machine", "--json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &gs), out)
	require.Equal(t, "machine", gs.By)
	got := map[string]int64{}
	for _, g := range gs.Groups {
		got[g.Key] = g.Requests
	}
	assert.Equal(t, map[string]int64{"laptop": 7, "desktop": 5}, got)

	out, stderr, code = desktop.cco("stats", "--team", "--since", "1h")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Team usage by user from ")
	assert.Contains(t, out, "costliest first")
	lines := strings.Split(out, "\n")
	var ann, bob bool
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 1 && f[0] == "ann" {
			ann = f[1] == "7"
		}
		if len(f) > 1 && f[0] == "bob" {
			bob = f[1] == "5"
		}
	}
	assert.True(t, ann && bob, "by user: ann 7, bob 5:\n%s", out)
	assert.NotContains(t, out, pg.Password)

	_, stderr, code = laptop.cco("stats", "--team", "--by", "hour")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "team usage groups by one of user, machine, project, model, day, session")
}

// TestTeamFailuresAreExplained: what `cco status` says when the team
// database refuses the password, is not listening, or was migrated by a
// newer cco. The daemon keeps proxying and recording in every case.
func TestTeamFailuresAreExplained(t *testing.T) {
	pg := testkit.StartPostgres(t)
	up := newFaultyUpstream(t)
	port, err := testkit.FreePort()
	require.NoError(t, err)
	pg.Exec(`CREATE DATABASE future`)
	future := strings.Replace(pg.URL(), "/cco?", "/future?", 1)
	withFuture := func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		c, err := pgx.Connect(ctx, pg.AdminURL("future"))
		require.NoError(t, err)
		defer c.Close(ctx)
		_, err = c.Exec(ctx, `CREATE TABLE cco_schema (one boolean PRIMARY KEY DEFAULT true, version integer NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
			INSERT INTO cco_schema (version) VALUES (999); GRANT ALL ON cco_schema TO `+pg.User)
		require.NoError(t, err)
	}
	withFuture()
	for _, c := range []struct {
		name, url, want string
	}{
		{"wrong password", strings.Replace(pg.URL(), pg.Password, "not-the-password", 1), `password authentication failed for user "cco"`},
		{"refused", fmt.Sprintf("postgres://cco@127.0.0.1:%d/cco?sslmode=disable", port), fmt.Sprintf("connection refused by 127.0.0.1:%d (is PostgreSQL running", port)},
		{"schema from the future", future, "upgrade cco"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newRelEnv(t, up.URL, "CCO_TEAM_URL="+c.url)
			d := e.startDaemon()
			defer d.stop()
			e.calls(2, "fail-"+strings.ReplaceAll(c.name, " ", "-"))
			var out string
			require.NoError(t, waitFor("the failure in cco status", func() (bool, error) {
				out, _, _ = e.cco("status")
				return strings.Contains(out, c.want) && strings.Contains(out, "team:     2 rows pending, "), nil
			}), out)
			assert.NotContains(t, out, "not-the-password")
			assert.GreaterOrEqual(t, e.metric("cco_team_ship_errors_total"), 1.0)
			assert.Equal(t, 2.0, e.metric("cco_team_pending_rows"))
		})
	}
}

// metricsText is the whole of /metrics.
func (e *relEnv) metricsText() string {
	e.t.Helper()
	code, body, err := httpStatus(e.base + "/metrics")
	require.NoError(e.t, err)
	require.Equal(e.t, 200, code)
	return body
}

// TestReliabilityTeamOutage: PostgreSQL stops while the daemon works.
// Calls are proxied and recorded as ever; status and metrics say what is
// pending and why; once PostgreSQL is back every row arrives, once.
func TestReliabilityTeamOutage(t *testing.T) {
	pg := testkit.StartPostgres(t)
	up := newFaultyUpstream(t)
	e := teamEnv(t, up.URL, pg, "m-outage", "ann")
	d := e.startDaemon()
	before, during := pick(20, 200), pick(50, 2000)
	e.calls(before, "outage-before")
	waitTeamRows(t, pg, int64(before))

	pg.Stop()
	downAt := time.Now()
	e.calls(during, "outage-during")
	var line string
	require.NoError(t, waitFor("the outage in cco status", func() (bool, error) {
		out, _, _ := e.cco("status")
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "team:") {
				line = strings.TrimSpace(l)
			}
		}
		return strings.Contains(line, "database unreachable since") && strings.Contains(line, fmt.Sprintf("%d rows pending", during)), nil
	}), line)
	pending := e.metric("cco_team_pending_rows")
	errs := e.metric("cco_team_ship_errors_total")
	assert.Equal(t, float64(during), pending)
	assert.GreaterOrEqual(t, errs, 1.0)
	local := e.status().Analytics.Written

	pg.Start()
	upAt := time.Now()
	waitTeamRows(t, pg, int64(before+during))
	caughtUp := time.Since(upAt)
	require.NoError(t, waitFor("pending to drop to 0", func() (bool, error) { return e.team().Pending == 0, nil }))
	d.stop()
	rows, distinct := teamRows(t, pg, "machine = 'm-outage'")
	assert.EqualValues(t, before+during, rows)
	assert.Equal(t, rows, distinct, "no row twice")
	assert.EqualValues(t, local, rows, "the team has every local row")
	report(t, "team-outage", "%d calls before, PostgreSQL down %.1fs, %d of %d calls proxied while down; status said %q; cco_team_pending_rows %.0f, cco_team_ship_errors_total %.0f; back up: caught up in %.1fs, %d team rows = %d local, %d duplicates",
		before, upAt.Sub(downAt).Seconds(), during, during, line, pending, errs, caughtUp.Seconds(), rows, local, rows-distinct)
}

// TestReliabilityTeamKill9: kill -9 of the daemon while it ships a large
// backlog, then a restart: the team database ends with exactly the local
// rows, none lost, none twice.
func TestReliabilityTeamKill9(t *testing.T) {
	pg := testkit.StartPostgres(t)
	up := newFaultyUpstream(t)
	e := teamEnv(t, up.URL, pg, "m-kill9", "ann")
	n := pick(30_000, 300_000)
	fillUsage(t, filepath.Join(e.ccoHome, "analytics.db"), n)

	d := e.startDaemon()
	var atKill int64
	require.NoError(t, waitFor("shipping to be under way", func() (bool, error) {
		atKill, _ = teamRowsQuiet(pg)
		return atKill > 0, nil
	}))
	if code := d.signal(syscall.SIGKILL); code != -1 {
		t.Fatalf("the daemon exited %d, want death by SIGKILL", code)
	}
	atKill, _ = teamRowsQuiet(pg)

	restart := time.Now()
	d = e.startDaemon()
	e.calls(3, "kill9-after")
	waitTeamRows(t, pg, int64(n+3))
	require.NoError(t, waitFor("pending to drop to 0", func() (bool, error) { return e.team().Pending == 0, nil }))
	caughtUp := time.Since(restart)
	d.stop()
	rows, distinct := teamRows(t, pg, "")
	assert.EqualValues(t, n+3, rows, "every local row, once")
	assert.Equal(t, rows, distinct)
	if atKill >= int64(n) {
		t.Logf("the whole backlog was shipped before the kill (%d rows): the kill hit no shipment", atKill)
	}
	report(t, "team-kill9", "%d local rows; kill -9 with %d shipped (%.0f%%); after the restart %d team rows for %d local (3 new), %d duplicates, caught up in %.1fs",
		n, atKill, 100*float64(atKill)/float64(n), rows, n+3, rows-distinct, caughtUp.Seconds())
}

// fillUsage writes n calls into a new usage database, as the daemon's
// writer would have.
func fillUsage(t *testing.T, path string, n int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	s, err := analytics.Open(path)
	require.NoError(t, err)
	defer s.Close()
	cost := 0.001
	start := time.Now().Add(-time.Duration(n) * time.Second)
	batch := make([]analytics.Record, 0, 5000)
	for i := range n {
		batch = append(batch, analytics.Record{Time: start.Add(time.Duration(i) * time.Second), Path: "/v1/messages", Route: "/v1/messages",
			Model: "claude-sonnet-4-5", Status: 200, Cache: "miss", InputTokens: 100, OutputTokens: 10, CostUSD: &cost,
			SessionID: fmt.Sprintf("s-%d", i/100), Project: "/p", Credential: analytics.CredentialAPIKey})
		if len(batch) == cap(batch) || i == n-1 {
			require.NoError(t, s.Insert(context.Background(), batch))
			batch = batch[:0]
		}
	}
}
