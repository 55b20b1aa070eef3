package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

func skipOnWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs Unix signals")
	}
}

// SIGTERM during a request: /ready turns 503 while it drains, the request
// completes, its usage row is written, and the daemon exits 0.
func TestDrainOnSIGTERM(t *testing.T) {
	skipOnWindows(t)
	up := newUpstream(t)
	d := startDaemon(t, "", "CCO_UPSTREAM_URL="+up.URL)
	type result struct {
		code int
		body string
	}
	res := make(chan result, 1)
	go func() {
		resp, b := d.post(t, `{"model":"claude-haiku-4-5","max_tokens":50,"metadata":{"user_id":"hold"},"messages":[{"role":"user","content":"hold please"}]}`)
		res <- result{resp.StatusCode, b}
	}()
	<-up.Received
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, waitFor("/ready 503 while draining", func() (bool, error) {
		code, _, err := httpStatus(d.url + "/ready")
		return code == http.StatusServiceUnavailable, err
	}))
	up.Release()
	r := <-res
	require.Equal(t, 200, r.code)
	require.Contains(t, r.body, `"usage"`)
	require.Equal(t, 0, d.wait(t), d.output.String())

	// The queued usage row was written before exit.
	out, stderr, code := d.cco(t, "stats", "--json")
	require.Equal(t, 0, code)
	require.Contains(t, stderr, "cco is not running; reading")
	require.Contains(t, out, `"requests": 1,`)
}

func TestStatsCLIAgreesWithAPI(t *testing.T) {
	skipOnWindows(t)
	up := newUpstream(t)
	d := startDaemon(t, "", "CCO_UPSTREAM_URL="+up.URL)
	for _, b := range []string{
		body("claude-sonnet-4-5-20250929", false, "one"),
		body("claude-sonnet-4-5-20250929", false, "one"), // a hit
		body("claude-haiku-4-5", true, "two"),
		body("claude-mystery", true, "three"),
	} {
		resp, _ := d.post(t, b)
		require.Equal(t, 200, resp.StatusCode)
	}
	d.waitWritten(t, 4)
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	until := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)

	code, api, err := httpStatus(d.url + "/api/stats?since=" + url.QueryEscape(since) + "&until=" + url.QueryEscape(until))
	require.NoError(t, err)
	require.Equal(t, 200, code)
	cli, stderr, exit := d.cco(t, "stats", "--json", "--since", since, "--until", until)
	require.Equal(t, 0, exit, stderr)
	require.Empty(t, stderr, "the running daemon answered")
	require.JSONEq(t, api, cli, "cco stats --json and /api/stats agree")

	var st struct {
		Totals map[string]float64
		Recent []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(cli), &st))
	require.EqualValues(t, 4, st.Totals["requests"])
	require.EqualValues(t, 1, st.Totals["cache_hits"])
	require.EqualValues(t, 100+200+200, st.Totals["input_tokens"])
	require.EqualValues(t, 20+30+30, st.Totals["output_tokens"])
	require.EqualValues(t, 125, st.Totals["saved_tokens"])
	require.Nil(t, st.Recent[0]["cost_usd"], "an unknown model has no cost")

	table, _, exit := d.cco(t, "stats")
	require.Equal(t, 0, exit)
	require.Contains(t, table, "claude-sonnet-4-5-20250929")
	require.Contains(t, table, "Requests  4 (0 errors), cache hits 1 (25.0%)")

	// Stopped: cco stats reads the database itself and says so.
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, d.wait(t))
	offline, stderr, exit := d.cco(t, "stats", "--json", "--since", since, "--until", until)
	require.Equal(t, 0, exit, stderr)
	require.Contains(t, stderr, "cco is not running; reading")
	require.JSONEq(t, api, offline)

	// Nothing secret in the files the daemon wrote.
	files, _ := filepath.Glob(filepath.Join(d.home, "*"))
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NotContains(t, string(data), testAPIKey, f)
		require.NotContains(t, string(data), `"content":"one"`, f)
	}
}

func TestStatsNotRunningWithoutDatabase(t *testing.T) {
	port, err := testkit.FreePort() // never the default 3000, where a real daemon may run
	require.NoError(t, err)
	env, _ := ccoEnv(t, fmt.Sprintf("CCO_PORT=%d", port))
	d := &daemon{env: env}
	_, stderr, code := d.cco(t, "stats")
	require.Equal(t, 3, code)
	require.Contains(t, stderr, "cco is not running")
	_, stderr, code = d.cco(t, "daemon", "reload")
	require.Equal(t, 3, code)
	require.Contains(t, stderr, "cco is not running")
	_, stderr, code = d.cco(t, "stats", "--since", "yesterday")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "since:")
}

func TestBrokenDatabaseEndsDaemon(t *testing.T) {
	skipOnWindows(t)
	up := newUpstream(t)
	d := startDaemon(t, "[daemon]\nhealth_check_interval = \"1s\"\n", "CCO_UPSTREAM_URL="+up.URL)
	db := filepath.Join(d.home, "analytics.db")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		require.NoError(t, os.Remove(f))
	}
	code := d.wait(t)
	require.NotEqual(t, 0, code, "a failing daemon exits non-zero so that it is restarted")
	log, err := os.ReadFile(filepath.Join(d.home, "daemon.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "health check failed three times in a row")
	require.Contains(t, string(log), "was removed while the daemon was running")
}

func TestReloadLive(t *testing.T) {
	skipOnWindows(t)
	up := newUpstream(t)
	file := func(d *daemon) string { return filepath.Join(d.home, "config.toml") }
	d := startDaemon(t, fmt.Sprintf("[daemon]\nupstream_url = %q\nlog_level = \"info\"\ncache_size = \"1MiB\"\n", up.URL))
	cache := func() map[string]any { return d.status(t)["cache"].(map[string]any) }
	require.EqualValues(t, 1<<20, cache()["max_bytes"])

	require.NoError(t, os.WriteFile(file(d), []byte(fmt.Sprintf("[daemon]\nupstream_url = %q\nlog_level = \"debug\"\ncache_size = \"2MiB\"\ncache_ttl = 120\ndatabase_url = \"sqlite://other.db\"\n", up.URL)), 0o600))
	out, stderr, code := d.cco(t, "daemon", "reload")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "configuration reloaded: applied log_level, cache_size, cache_ttl")
	require.Contains(t, out, "needing a restart to apply: database_url")
	require.EqualValues(t, 2<<20, cache()["max_bytes"])
	require.EqualValues(t, 120, cache()["ttl_s"])
	d.post(t, body("claude-haiku-4-5", false, "debug me"))
	require.NoError(t, waitFor("a debug line in the log", func() (bool, error) {
		b, err := os.ReadFile(filepath.Join(d.home, "daemon.log"))
		return strings.Contains(string(b), "level=DEBUG msg=proxied"), err
	}))

	// An invalid file is refused, with the reason; the old config stays.
	require.NoError(t, os.WriteFile(file(d), []byte("[daemon]\ncache_size = \"-5\"\nlog_level = \"loud\"\n"), 0o600))
	_, stderr, code = d.cco(t, "daemon", "reload")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "refused")
	require.Contains(t, stderr, "log_level")
	require.EqualValues(t, 2<<20, cache()["max_bytes"])
	cfg := d.status(t)["config"].(map[string]any)
	require.Equal(t, "debug", cfg["log_level"].(map[string]any)["value"])

	// SIGHUP does the same.
	require.NoError(t, os.WriteFile(file(d), []byte(fmt.Sprintf("[daemon]\nupstream_url = %q\ncache_size = \"3MiB\"\n", up.URL)), 0o600))
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGHUP))
	require.NoError(t, waitFor("reload on SIGHUP", func() (bool, error) {
		return cache()["max_bytes"].(float64) == 3<<20, nil
	}))
	require.NoError(t, d.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, d.wait(t))
}

func TestControlSecurity(t *testing.T) {
	skipOnWindows(t)
	up := newUpstream(t)
	d := startDaemon(t, "", "CCO_UPSTREAM_URL="+up.URL)
	fi, err := os.Stat(filepath.Join(d.home, "daemon.token"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	code, _, err := httpStatus(d.url+"/v1/messages", "Host: evil.example")
	require.NoError(t, err)
	require.Equal(t, http.StatusMisdirectedRequest, code)
	code, body := request(t, http.MethodPost, d.url+"/api/shutdown")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, body, "authentication_error")
	code, _ = request(t, http.MethodPost, d.url+"/api/shutdown", "Authorization", "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = request(t, http.MethodPost, d.url+"/api/shutdown", "Authorization", "Bearer "+d.token(t), "Origin", "http://evil.example")
	require.Equal(t, http.StatusForbidden, code)

	code, _ = request(t, http.MethodPost, d.url+"/api/shutdown", "Authorization", "Bearer "+d.token(t))
	require.Equal(t, http.StatusAccepted, code)
	require.Equal(t, 0, d.wait(t), "a stop over HTTP is a clean stop")
}
