package test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// apiStats is GET /api/stats as the dashboard reads it.
type apiStats struct {
	Since  string      `json:"since"`
	Until  string      `json:"until"`
	Totals statsFigure `json:"totals"`
	Models []struct {
		Model string `json:"model"`
		statsFigure
	} `json:"models"`
	Days   []apiDay  `json:"days"`
	Recent []apiCall `json:"recent"`
}

// apiDay is one day of /api/stats.
type apiDay struct {
	Day          string  `json:"day"`
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	CacheHits    int64   `json:"cache_hits"`
}

// apiCall is one of /api/stats' recent calls.
type apiCall struct {
	Time                string   `json:"time"`
	Model               string   `json:"model"`
	Status              int      `json:"status"`
	Stream              bool     `json:"stream"`
	Cache               string   `json:"cache"`
	InputTokens         int64    `json:"input_tokens"`
	OutputTokens        int64    `json:"output_tokens"`
	CacheReadTokens     int64    `json:"cache_read_tokens"`
	CacheCreationTokens int64    `json:"cache_creation_tokens"`
	LatencyMS           float64  `json:"latency_ms"`
	TTFBMS              float64  `json:"ttfb_ms"`
	CostUSD             *float64 `json:"cost_usd"`
}

type statsFigure struct {
	Requests            int64   `json:"requests"`
	Errors              int64   `json:"errors"`
	CacheHits           int64   `json:"cache_hits"`
	CacheHitRate        float64 `json:"cache_hit_rate"`
	InputTokens         int64   `json:"input_tokens"`
	OutputTokens        int64   `json:"output_tokens"`
	CacheReadTokens     int64   `json:"cache_read_tokens"`
	CacheCreationTokens int64   `json:"cache_creation_tokens"`
	CostUSD             float64 `json:"cost_usd"`
	SavedTokens         int64   `json:"saved_tokens"`
	SavedCostUSD        float64 `json:"saved_cost_usd"`
	AvgLatencyMS        float64 `json:"avg_latency_ms"`
	UnpricedRequests    int64   `json:"unpriced_requests"`
}

// dashboardWindow is the page's window: 30 whole UTC days ending now.
func dashboardWindow(now time.Time) (since, until time.Time) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return today.AddDate(0, 0, -29), now
}

// fetchStats reads /api/stats for the page's window from base.
func fetchStats(t *testing.T, base string) apiStats {
	t.Helper()
	since, until := dashboardWindow(time.Now().UTC())
	q := url.Values{"since": {since.Format(time.RFC3339)}, "until": {until.Format(time.RFC3339Nano)}}
	var st apiStats
	getJSON(t, base+"/api/stats?"+q.Encode(), &st)
	return st
}

// requireCostShown asserts a cost that may be unknown in part or whole:
// "unpriced" when no call was priced, "$X + unpriced" when some were not.
func requireCostShown(t *testing.T, what string, cost float64, requests, unpriced int64, s string) {
	t.Helper()
	switch {
	case unpriced > 0 && unpriced == requests:
		require.Equal(t, "unpriced", s, what)
	case unpriced > 0:
		priced, ok := strings.CutSuffix(s, " + unpriced")
		require.True(t, ok, "%s: page shows %q, not \"$X + unpriced\"", what, s)
		requireShown(t, what, cost, priced)
	default:
		requireShown(t, what, cost, s)
	}
}

// requirePageShows asserts that every figure on the page is the one in st.
func requirePageShows(t *testing.T, p shownPage, st apiStats) {
	t.Helper()
	tot := st.Totals
	requireShown(t, "total requests", float64(tot.Requests), p.Text["t-requests"])
	requireShown(t, "total input tokens", float64(tot.InputTokens), p.Text["t-input"])
	requireShown(t, "total output tokens", float64(tot.OutputTokens), p.Text["t-output"])
	requireShown(t, "total cost", tot.CostUSD, p.Text["t-cost"])
	if tot.Requests > 0 {
		requireShown(t, "cache hit rate", tot.CacheHitRate, p.Text["t-hitrate"])
	}

	require.Len(t, p.Models, len(st.Models), "one table row per model")
	for i, m := range st.Models {
		row := p.Models[i]
		require.Equal(t, m.Model, row["model"])
		requireShown(t, m.Model+" requests", float64(m.Requests), row["requests"])
		requireShown(t, m.Model+" errors", float64(m.Errors), row["errors"])
		requireShown(t, m.Model+" input", float64(m.InputTokens), row["input"])
		requireShown(t, m.Model+" output", float64(m.OutputTokens), row["output"])
		requireShown(t, m.Model+" cache read", float64(m.CacheReadTokens), row["cache-read"])
		requireShown(t, m.Model+" cache write", float64(m.CacheCreationTokens), row["cache-write"])
		requireShown(t, m.Model+" hit rate", m.CacheHitRate, row["hitrate"])
		requireShown(t, m.Model+" latency", m.AvgLatencyMS, row["latency"])
		requireCostShown(t, m.Model+" cost", m.CostUSD, m.Requests, m.UnpricedRequests, row["cost"])
	}

	require.Len(t, p.Recent, len(st.Recent), "one table row per recent call")
	for i, r := range st.Recent {
		row := p.Recent[i]
		what := fmt.Sprintf("recent call %d (%s)", i, r.Time)
		require.Equal(t, r.Model, row["model"], what)
		require.Equal(t, r.Cache, row["cache"], what)
		require.True(t, strings.HasPrefix(row["status"], strconv.Itoa(r.Status)), "%s: status %q", what, row["status"])
		requireShown(t, what+" input", float64(r.InputTokens), row["input"])
		requireShown(t, what+" output", float64(r.OutputTokens), row["output"])
		requireShown(t, what+" cache read", float64(r.CacheReadTokens), row["cache-read"])
		requireShown(t, what+" latency", r.LatencyMS, row["latency"])
		if r.CostUSD == nil {
			require.Equal(t, "unpriced", row["cost"], "%s: no known price is not $0", what)
		} else {
			requireShown(t, what+" cost", *r.CostUSD, row["cost"])
		}
	}

	// The chart: a column for each of 30 days, and a visible bar exactly for
	// each day with requests, as tall as its count says.
	require.Equal(t, 30, p.Columns, "chart columns")
	bars := map[string]shownBar{}
	for _, b := range p.Bars {
		bars[b.Day] = b
	}
	withRequests := 0
	for _, d := range st.Days {
		if d.Requests == 0 {
			continue
		}
		withRequests++
		b, ok := bars[d.Day]
		require.True(t, ok, "no bar drawn for %s (%d requests)", d.Day, d.Requests)
		require.Equal(t, float64(d.Requests), b.Value, "bar for %s", d.Day)
		require.Positive(t, b.Width, "bar width for %s", d.Day)
		require.Positive(t, b.Height, "bar height for %s", d.Day)
	}
	require.Len(t, p.Bars, withRequests, "bars drawn: %+v", p.Bars)
}

// requireNoConsoleProblems fails on any console error, warning or exception.
func requireNoConsoleProblems(t *testing.T, b *browser) {
	t.Helper()
	require.Empty(t, b.problems(), "the page wrote to the console")
}

// pageRefreshed is a JavaScript condition: the page has rendered at least
// n times since it loaded, the last time with both APIs answering.
func pageRefreshed(n int) string {
	return fmt.Sprintf(`Number(document.body.dataset.refreshes || 0) >= %d && document.body.dataset.state === 'ready'`, n)
}
