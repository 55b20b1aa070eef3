package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

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
