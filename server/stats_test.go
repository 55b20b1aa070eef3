package server

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/analytics"
)

func getStats(t *testing.T, d *testDaemon, query string) analytics.Stats {
	t.Helper()
	resp, err := http.Get(d.url + "/api/stats" + query)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var st analytics.Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

func TestAnalyticsRowsMatchUpstreamUsage(t *testing.T) {
	d, _ := startProxy(t, "")
	const model = "claude-sonnet-4-5-20250929"
	resp, _ := d.post(t, msgBody(model, "json call", false, ""))
	require.Equal(t, 200, resp.StatusCode)
	resp, body := d.post(t, msgBody(model, "stream call", true, ""))
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, body, "event: message_stop")
	resp, _ = d.post(t, msgBody(model, "stream call", true, "")) // replayed from the cache
	require.Equal(t, "hit", resp.Header.Get("X-Cco-Cache"))
	d.waitRows(t, 3)

	st := getStats(t, d, "")
	require.Len(t, st.Recent, 3)
	for i, c := range st.Recent {
		require.Equal(t, model, c.Model)
		require.Equal(t, 200, c.Status)
		require.Equal(t, fakeUsage.InputTokens, c.InputTokens, "row %d", i)
		require.Equal(t, fakeUsage.OutputTokens, c.OutputTokens, "row %d", i)
		require.Equal(t, fakeUsage.CacheReadInputTokens, c.CacheReadTokens, "row %d", i)
		require.Equal(t, fakeUsage.CacheCreationInputTokens, c.CacheCreationTokens, "row %d", i)
		require.NotNil(t, c.CostUSD)
	}
	require.Equal(t, "hit", st.Recent[0].Cache)
	require.True(t, st.Recent[0].Stream)
	require.Zero(t, *st.Recent[0].CostUSD, "a hit costs nothing")
	require.Equal(t, "miss", st.Recent[1].Cache)
	require.True(t, st.Recent[1].Stream)
	require.False(t, st.Recent[2].Stream)

	// Sonnet 4.5, per million tokens: 12 in x $3 + 7 out x $15 + 3 read x
	// $0.30 + one 5-minute write x $3.75 + one 1-hour write x $6; and one
	// web search at $10 a thousand. Both the JSON answer and the stream
	// (split in message_start, searches in message_delta) report them all.
	one := (12*3+7*15+3*0.30+1*3.75+1*6)/1e6 + 1*10.0/1000
	require.InDelta(t, one, *st.Recent[1].CostUSD, 1e-12)
	tot := st.Totals
	require.EqualValues(t, 3, tot.Requests)
	require.EqualValues(t, 1, tot.CacheHits)
	require.InDelta(t, 1.0/3, tot.CacheHitRate, 1e-9)
	require.EqualValues(t, 24, tot.InputTokens)
	require.EqualValues(t, 14, tot.OutputTokens)
	require.EqualValues(t, 24, tot.SavedTokens)
	require.InDelta(t, 2*one, tot.CostUSD, 1e-12)
	require.InDelta(t, one, tot.SavedCostUSD, 1e-12)
	require.Len(t, st.Models, 1)
	require.Len(t, st.Days, 1)

	// nothing secret in the database or the log
	require.NoError(t, d.Shutdown(t.Context()))
	for _, f := range []string{d.Config().DatabasePath(), d.Config().DatabasePath() + "-wal"} {
		data, err := os.ReadFile(f)
		if err == nil {
			require.NotContains(t, string(data), testKey, f)
			require.NotContains(t, string(data), "stream call", f)
		}
	}
	require.NotContains(t, d.logs.String(), testKey)
	require.Contains(t, d.logs.String(), "proxied")
}

func TestStatsBadRange(t *testing.T) {
	d, _ := startProxy(t, "")
	resp, err := http.Get(d.url + "/api/stats?since=yesterday")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
	var e struct{ Error struct{ Message string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	require.True(t, strings.Contains(e.Error.Message, "since"), e.Error.Message)
}

func TestUnknownModelHasNoCost(t *testing.T) {
	d, _ := startProxy(t, "[prices.\"claude-new\"]\ninput = 1\noutput = 2\n")
	d.post(t, msgBody("claude-mystery-9", "a", false, ""))
	d.post(t, msgBody("claude-new-1-20270101", "a", false, ""))
	d.waitRows(t, 2)
	st := getStats(t, d, "?since=1h")
	require.Nil(t, st.Recent[1].CostUSD)
	require.NotNil(t, st.Recent[0].CostUSD)
	// The override sets no cache prices: reads and 5-minute writes cost
	// nothing, the 1-hour write 2x input, and it cannot price the search.
	require.InDelta(t, (12*1+7*2+1*2)/1e6, *st.Recent[0].CostUSD, 1e-12)
}
