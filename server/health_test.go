package server

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHealthChecksPass(t *testing.T) {
	d, _ := startProxy(t, "health_check_interval = \"1s\"\n")
	require.Eventually(t, func() bool { return d.healthState().LastCheck != nil }, 10*time.Second, 10*time.Millisecond)
	h := d.healthState()
	require.True(t, h.ChecksEnabled)
	require.Zero(t, h.ConsecutiveFailures)
	require.True(t, d.Healthy())
	require.NoError(t, d.SelfCheck(context.Background()), "the watchdog's self-check passes too")
}

func TestBrokenDatabaseIsFatalAfterThreeChecks(t *testing.T) {
	up := newFakeUpstream(t)
	fatal := make(chan error, 1)
	d := startDaemon(t, up.URL, "health_check_interval = \"1s\"\n", func(o *Options) {
		o.OnFatal = func(err error) { fatal <- err }
	})
	db := d.Config().DatabasePath()
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		require.NoError(t, os.Remove(f))
	}
	select {
	case err := <-fatal:
		require.ErrorContains(t, err, "health check failed 3 times in a row")
		require.ErrorContains(t, err, "was removed")
	case <-time.After(20 * time.Second):
		t.Fatal("no fatal error after the database was removed")
	}
	require.False(t, d.Healthy())
	require.Equal(t, 3, d.healthState().ConsecutiveFailures)
	require.Contains(t, d.logs.String(), "health check failed")
}

func TestHealthCheckPassesWhenAllIsWell(t *testing.T) {
	d, _ := startProxy(t, "health_checks = false\n")
	require.NoError(t, d.checkHealth(time.Second))
	require.False(t, d.healthState().ChecksEnabled)
	require.True(t, d.Healthy(), "with checks off the daemon counts as healthy (the watchdog keeps being fed)")
}

func TestMetrics(t *testing.T) {
	d, _ := startProxy(t, "")
	body := msgBody("claude-haiku-4-5", "metrics", true, "")
	d.post(t, body)
	d.post(t, body)
	d.waitRows(t, 2)
	code, text := do(t, http.MethodGet, d.url+"/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`cco_requests_total{cache="miss",route="/v1/messages",status="200"} 1`,
		`cco_requests_total{cache="hit",route="/v1/messages",status="200"} 1`,
		`cco_upstream_latency_seconds_count{cache="miss",route="/v1/messages"} 1`,
		`cco_upstream_ttfb_seconds_count{cache="miss",route="/v1/messages"} 1`,
		`cco_tokens_total{model="claude-haiku-4-5",type="input"} 12`,
		`cco_tokens_total{model="claude-haiku-4-5",type="output"} 7`,
		`cco_cost_usd_total{model="claude-haiku-4-5"}`,
		`cco_cache_entries 1`,
		`cco_cache_bytes `,
		`cco_cache_evictions_total 0`,
		`cco_analytics_queue_depth 0`,
		`cco_analytics_written_total 2`,
		`cco_analytics_write_errors_total 0`,
		`go_goroutines `,
		`process_start_time_seconds `,
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, testKey)
}
