package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

// startDashboardDaemon is startDaemon (no config; env adds CCO_ keys) for
// the dashboard tests: at cleanup the daemon must stop on SIGTERM within
// the wait limit, and a failed test shows its output and log.
func startDashboardDaemon(t *testing.T, env ...string) *daemon {
	t.Helper()
	d := startDaemon(t, "", env...)
	t.Cleanup(func() {
		_ = d.Cmd.Process.Signal(syscall.SIGTERM)
		if _, err := d.Wait(waitLimit); err != nil {
			d.Kill()
			t.Errorf("daemon pid %d did not stop on SIGTERM; killed", d.PID())
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(d.home, "daemon.log"))
			t.Logf("daemon output:\n%s\ndaemon.log:\n%s", d.output, log)
		}
	})
	return d
}

// usageFor is what the fake upstream reports for a prompt.
func usageFor(prompt string) testkit.Usage {
	n := int64(len(prompt))
	return testkit.Usage{Input: 1000 + 37*n, Output: 120 + 11*n, CacheRead: 300 * (n % 4), CacheWrite: 50 * (n % 3)}
}

// newFakeUpstream is the kit's fake with usage figures derived from the
// request's prompt (usageFor), so that each call's tokens are known and
// differ.
func newFakeUpstream(t *testing.T) *testkit.Upstream {
	return testkit.NewUpstream(t, testkit.UpstreamOptions{UsageOf: func(body []byte) testkit.Usage {
		var req struct {
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		if json.Unmarshal(body, &req) != nil || len(req.Messages) == 0 {
			return testkit.Usage{}
		}
		return usageFor(req.Messages[0].Content)
	}})
}

// call sends one Messages request through the daemon's proxy and returns
// the x-cco-cache header of the answer.
func (d *daemon) call(t *testing.T, model, prompt string, stream bool, hdr ...string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": model, "max_tokens": 64, "stream": stream,
		"messages": []map[string]string{{"role": "user", "content": prompt}}})
	req, err := http.NewRequest(http.MethodPost, d.url+"/v1/messages", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "sk-ant-test-key")
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, b, err := roundTrip(t, req, hdr...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "proxy answer: %s", b)
	return resp.Header.Get("x-cco-cache")
}

// waitRecorded waits until /api/stats counts n requests (recording is
// batched off the request path, so it lags the answers a little).
func (d *daemon) waitRecorded(t *testing.T, n int64) apiStats {
	t.Helper()
	var st apiStats
	err := waitFor(fmt.Sprintf("%d calls recorded", n), func() (bool, error) {
		st = fetchStats(t, d.url)
		return st.Totals.Requests >= n, nil
	})
	require.NoError(t, err)
	require.Equal(t, n, st.Totals.Requests)
	return st
}

// TestDashboardLive drives the real daemon: calls through the proxy to a
// fake upstream, then the page in Chromium must show exactly what
// /api/stats says, draw the chart, and pick up a new call without a reload.
func TestDashboardLive(t *testing.T) {
	up := newFakeUpstream(t)
	d := startDashboardDaemon(t, "CCO_UPSTREAM_URL="+up.URL)

	sent := int64(0)
	send := func(model, prompt string, stream bool, hdr ...string) string {
		sent++
		return d.call(t, model, prompt, stream, hdr...)
	}
	for i := range 4 {
		send("claude-sonnet-4-5", fmt.Sprintf("question %d about sonnets", i), i%2 == 1)
	}
	send("claude-haiku-4-5", "a short one", false)
	send("claude-haiku-4-5", "a short one, streamed", true)
	send("claude-test-unpriced", "a model with no known price", false)
	require.Equal(t, "hit", send("claude-sonnet-4-5", "question 0 about sonnets", false), "a repeat comes from the cache")
	send("claude-sonnet-4-5", "question 0 about sonnets", false, "Cache-Control", "no-cache")
	st := d.waitRecorded(t, sent)
	require.Len(t, st.Models, 3)

	b := newBrowser(t)
	b.open(t, d.url+"/")
	// The page loads after every call is recorded, so its first refresh
	// must already show them all.
	waitPage(t, b, "the dashboard to render", pageRefreshed(1))
	p := readPage(t, b)
	require.Equal(t, "false", p.Empty)
	require.Empty(t, p.Banner)
	require.Equal(t, "healthy", p.Health)
	requirePageShows(t, p, fetchStats(t, d.url))
	require.Equal(t, "e2e", p.Text["s-version"])
	require.Equal(t, "foreground", p.Text["s-manager"])
	require.Equal(t, strings.TrimPrefix(d.url, "http://"), p.Text["s-listen"])
	require.Equal(t, strconv.Itoa(d.PID()), p.Text["s-pid"])
	require.NotEqual(t, "—", p.Text["c-entries"], "cache figures from /api/status")
	b.screenshot(t, "dashboard")

	// A new call shows up without a reload: the marker set on this document
	// survives, and the figures move to the new /api/stats.
	eval[bool](t, b, `(window.__ccoTestMarker = 'same-document', true)`)
	send("claude-opus-4-1", "one more, after the page loaded", false)
	d.waitRecorded(t, sent)
	waitPage(t, b, "the new call on the page",
		fmt.Sprintf(`document.getElementById('t-requests').textContent.replace(/\D/g, '') === '%d'`, sent))
	p = readPage(t, b)
	require.Equal(t, "same-document", p.Marker, "the page reloaded")
	require.Equal(t, "claude-opus-4-1", p.Recent[0]["model"], "the newest call is first")
	requirePageShows(t, p, fetchStats(t, d.url))
	b.screenshot(t, "dashboard-live")
	requireNoConsoleProblems(t, b)
}

// TestDashboardEmpty: a fresh daemon with an empty database shows the
// friendly empty state and writes nothing to the console.
func TestDashboardEmpty(t *testing.T) {
	d := startDashboardDaemon(t)
	b := newBrowser(t)
	b.open(t, d.url+"/")
	waitPage(t, b, "the dashboard to render", pageRefreshed(1))
	p := readPage(t, b)
	require.Equal(t, "true", p.Empty)
	require.True(t, eval[bool](t, b, `!document.getElementById('empty').hidden && getComputedStyle(document.getElementById('chart')).display === 'none'`), "empty state shown instead of the chart")
	require.Contains(t, eval[string](t, b, `document.getElementById('empty-cmd').textContent`), "ANTHROPIC_BASE_URL="+d.url)
	require.Equal(t, "0", p.Text["t-requests"])
	require.Empty(t, p.Models)
	require.Empty(t, p.Recent)
	require.Equal(t, "0", p.Text["t-input"])
	require.Equal(t, "$0.00", p.Text["t-cost"])
	require.Equal(t, "healthy", p.Health)
	require.Zero(t, fetchStats(t, d.url).Totals.Requests)
	b.screenshot(t, "dashboard-empty")
	requireNoConsoleProblems(t, b)
}
