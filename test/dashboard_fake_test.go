package test

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/dashboard"
)

// fakeAPI serves the dashboard with /api/status and /api/stats answered
// from memory: a month of varied usage the real daemon cannot produce in a
// test, and status documents of older daemons.
type fakeAPI struct {
	mu     sync.Mutex
	status map[string]any
	stats  *apiStats // nil: /api/stats is not served (an older daemon)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var v any
	switch r.URL.Path {
	case "/api/status":
		v = f.status
	case "/api/stats":
		if f.stats == nil {
			http.NotFound(w, r)
			return
		}
		v = f.stats
	default:
		dashboard.Page.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func serveFake(t *testing.T, f *fakeAPI) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

// oldStatus is /api/status before the cache, analytics and health figures.
func oldStatus() map[string]any {
	return map[string]any{
		"version": "0.9.0", "pid": 4242, "started_at": time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339),
		"uptime_s": 3 * 3600, "manager": "systemd", "listen": "127.0.0.1:3000", "url": "http://127.0.0.1:3000", "ready": true,
	}
}

func fullStatus() map[string]any {
	s := oldStatus()
	s["cache"] = map[string]any{"entries": 182, "bytes": 48_213_337, "max_bytes": 1 << 30, "hits": 311, "misses": 905, "evictions": 0, "ttl_s": 3600}
	s["analytics"] = map[string]any{"queued": 0, "written": 1216, "write_errors": 0, "last_error": ""}
	s["health"] = map[string]any{"checks_enabled": true, "last_check": time.Now().Add(-12 * time.Second).UTC().Format(time.RFC3339), "consecutive_failures": 0, "last_error": ""}
	return s
}

// sampleStats is a plausible month for three models, consistent in itself.
func sampleStats(now time.Time) *apiStats {
	rng := rand.New(rand.NewPCG(7, 11))
	since, until := dashboardWindow(now)
	st := &apiStats{Since: since.Format(time.RFC3339), Until: until.Format(time.RFC3339)}
	models := []struct {
		name          string
		share, in, pr float64
	}{{"claude-sonnet-4-5", .62, 3, 15}, {"claude-opus-4-1", .13, 15, 75}, {"claude-haiku-4-5", .25, 1, 5}}
	st.Models = make([]struct {
		Model string `json:"model"`
		statsFigure
	}, len(models))
	for i, m := range models {
		st.Models[i].Model = m.name
	}
	for d := range 30 {
		day := since.AddDate(0, 0, d)
		if d%9 == 4 { // a few days off
			continue
		}
		var dayReq, dayIn, dayOut, dayHits int64
		var dayCost float64
		for i, m := range models {
			n := int64(float64(20+rng.IntN(70)) * m.share * (1 + float64(d)/30))
			in, out := n*int64(2000+rng.IntN(9000)), n*int64(150+rng.IntN(900))
			hits := n / int64(3+rng.IntN(4))
			cost := (float64(in)*m.in + float64(out)*m.pr) / 1e6
			f := &st.Models[i].statsFigure
			f.Requests += n
			f.Errors += int64(rng.IntN(2))
			f.InputTokens += in
			f.OutputTokens += out
			f.CacheReadTokens += in / 3
			f.CacheCreationTokens += in / 20
			f.CacheHits += hits
			f.CostUSD += cost
			f.AvgLatencyMS = 800 + rng.Float64()*4000
			dayReq, dayIn, dayOut, dayHits, dayCost = dayReq+n, dayIn+in, dayOut+out, dayHits+hits, dayCost+cost
		}
		st.Days = append(st.Days, apiDay{day.Format("2006-01-02"), dayReq, dayIn, dayOut, dayCost, dayHits})
	}
	t := &st.Totals
	for i := range st.Models {
		m := &st.Models[i].statsFigure
		m.CacheHitRate = float64(m.CacheHits) / float64(m.Requests)
		m.SavedTokens = m.CacheHits * 4000
		m.SavedCostUSD = m.CostUSD * m.CacheHitRate
		t.Requests += m.Requests
		t.Errors += m.Errors
		t.InputTokens += m.InputTokens
		t.OutputTokens += m.OutputTokens
		t.CacheReadTokens += m.CacheReadTokens
		t.CacheCreationTokens += m.CacheCreationTokens
		t.CacheHits += m.CacheHits
		t.CostUSD += m.CostUSD
		t.SavedTokens += m.SavedTokens
		t.SavedCostUSD += m.SavedCostUSD
		t.AvgLatencyMS += m.AvgLatencyMS * float64(m.Requests)
	}
	t.CacheHitRate = float64(t.CacheHits) / float64(t.Requests)
	t.AvgLatencyMS /= float64(t.Requests)
	for i := range 50 {
		m := models[rng.IntN(len(models))]
		in, out := int64(1500+rng.IntN(20000)), int64(50+rng.IntN(1500))
		cost := (float64(in)*m.in + float64(out)*m.pr) / 1e6
		st.Recent = append(st.Recent, apiCall{
			Time: now.Add(-time.Duration(i*97+rng.IntN(90)) * time.Second).UTC().Format(time.RFC3339Nano), Model: m.name,
			Status: []int{200, 200, 200, 200, 200, 200, 200, 429, 200, 200}[rng.IntN(10)], Stream: rng.IntN(3) > 0,
			Cache: []string{"miss", "miss", "hit", "bypass"}[rng.IntN(4)], InputTokens: in, OutputTokens: out,
			CacheReadTokens: in / 2, LatencyMS: 300 + rng.Float64()*9000, TTFBMS: 200 + rng.Float64()*500, CostUSD: &cost,
		})
	}
	st.Recent[3].CostUSD = nil // a model with no known price
	return st
}

// TestDashboardSample renders a month of usage from a fake API: the figures
// shown must be the API's, and the screenshots show a full dashboard.
func TestDashboardSample(t *testing.T) {
	f := &fakeAPI{status: fullStatus(), stats: sampleStats(time.Now().UTC())}
	base := serveFake(t, f)
	b := newBrowser(t)
	b.open(t, base+"/")
	waitPage(t, b, "the dashboard to render", pageRefreshed(1))
	p := readPage(t, b)
	require.Equal(t, "false", p.Empty)
	require.Equal(t, "healthy", p.Health)
	require.Equal(t, "182", p.Text["c-entries"])
	require.Equal(t, "46.0 MiB", p.Text["c-bytes"])
	require.Equal(t, "1.00 GiB", p.Text["c-max"])
	require.Equal(t, "25.6%", p.Text["c-hitrate"])
	require.Equal(t, "systemd", p.Text["s-manager"])
	require.Equal(t, "1,216 recorded", p.Text["s-analytics"])
	require.Contains(t, p.Text["s-checks"], "passing")
	requirePageShows(t, p, *f.stats)
	require.True(t, eval[bool](t, b, `document.documentElement.scrollWidth <= window.innerWidth`), "the page is wider than the window")
	b.screenshot(t, "dashboard-sample")

	// Hovering a day tells its figures.
	last := f.stats.Days[len(f.stats.Days)-1]
	tip := eval[string](t, b, `(() => {
		document.querySelector('#chart g.col[data-day="`+last.Day+`"] rect.hit').dispatchEvent(new MouseEvent('mouseenter'));
		const tip = document.getElementById('tooltip');
		return tip.hidden ? 'hidden' : tip.textContent;
	})()`)
	require.Contains(t, tip, strconv.FormatInt(last.Requests, 10)+" requests")

	// Every chart metric draws, and dark mode renders too.
	for _, metric := range []string{"tokens", "cost"} {
		eval[bool](t, b, `(document.querySelector('.tabs [data-metric="`+metric+`"]').click(), true)`)
		n := eval[int](t, b, `document.querySelectorAll('#chart rect.bar').length`)
		require.Positive(t, n, "bars for %s", metric)
	}
	b.setColorScheme(t, "dark")
	b.screenshot(t, "dashboard-sample-dark")
	requireNoConsoleProblems(t, b)
}

// TestDashboardOlderDaemon: a daemon without the newer status fields and
// without /api/stats still gets a working page that says what is missing.
func TestDashboardOlderDaemon(t *testing.T) {
	f := &fakeAPI{status: oldStatus()}
	base := serveFake(t, f)
	b := newBrowser(t)
	b.open(t, base+"/")
	waitPage(t, b, "the first refresh", `Number(document.body.dataset.refreshes || 0) >= 1`)
	p := readPage(t, b)
	require.Contains(t, p.Banner, "Usage statistics are unavailable")
	require.Equal(t, "0.9.0", p.Text["s-version"])
	require.Equal(t, "—", p.Text["c-entries"])
	require.Equal(t, "—", p.Text["s-checks"])
	for _, m := range b.problems() {
		// The browser itself logs the 404 of /api/stats; nothing else may appear.
		require.True(t, strings.Contains(m, "404") && strings.Contains(m, "/api/stats"), "console: %s", m)
	}
}
