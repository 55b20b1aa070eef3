package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/prices"
)

// Every call here asks something new: a cached answer costs nothing.

// oneCall is what one realishUpstream answer costs on Claude Code's
// default model.
func oneCall(t *testing.T) float64 {
	v, ok := prices.Price("claude-opus-5-5", realUsage, nil, time.Now())
	require.True(t, ok)
	return v
}

// TestBudgetStopsSpending: with the official SDK, a daily budget warns at
// 80 % and refuses past 100 % before the upstream sees the call, with a
// 402 the SDK does not retry and a message that says how to raise it; a
// reload raises it live.
func TestBudgetStopsSpending(t *testing.T) {
	up := newRealishUpstream(t)
	per := oneCall(t)
	// Two calls reach 85 % of the budget; the third passes it.
	budget := 2 * per / 0.85
	d := startDaemon(t, up.URL, budgetTOML(budget, 0, false))
	ctx := context.Background()
	c := sdkClient(d.url, option.WithAPIKey(testKey), option.WithHeader("X-Claude-Code-Session-Id", "s-1"), option.WithMaxRetries(2))

	var last *http.Response
	for i := range 2 {
		require.NoError(t, drain(c.Messages.NewStreaming(ctx, params("claude-opus-5-5", fmt.Sprint("ok-first-", i)), option.WithResponseInto(&last))))
	}
	assert.Empty(t, last.Header.Get("X-Cco-Budget"), "below 80 % answers say nothing")
	require.NoError(t, drain(c.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-2"), option.WithResponseInto(&last))), "below 100 % calls still go")
	assert.Equal(t, "85%", last.Header.Get("X-Cco-Budget"), "past 80 % answers say so")
	upstreamCalls := len(up.headers)

	err := drain(c.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-3")))
	var apiErr *anthropic.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, http.StatusPaymentRequired, apiErr.StatusCode)
	assert.Equal(t, "false", apiErr.Response.Header.Get("X-Should-Retry"))
	assert.Contains(t, apiErr.Error(), "daily budget of $")
	assert.Contains(t, apiErr.Error(), "cco config set budget_daily_usd ")
	assert.Contains(t, apiErr.Error(), "&& cco reload")
	assert.Len(t, up.headers, upstreamCalls, "a refused call never reaches the upstream, nor is retried")
	assert.Contains(t, d.logs.String(), "budget nearly spent")
	assert.Contains(t, d.logs.String(), "call refused: over budget")

	sum := d.summary("s-1", time.Now())
	assert.InDelta(t, 3*per, sum.TodayCost.APIKeyUSD, 1e-9)
	assert.InDelta(t, 3*per, sum.SessionCost.APIKeyUSD, 1e-9)
	assert.GreaterOrEqual(t, sum.Budget.Percent, 100.0)

	writeTOML(t, d, up.URL, budgetTOML(10*budget, 0, false))
	_, err = d.Reload()
	require.NoError(t, err)
	require.NoError(t, drain(c.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-4"))), "a raised budget applies at once")
}

// TestSessionBudget: a session's budget stops that session only.
func TestSessionBudget(t *testing.T) {
	up := newRealishUpstream(t)
	per := oneCall(t)
	d := startDaemon(t, up.URL, budgetTOML(0, per/2, false))
	ctx := context.Background()
	a := sdkClient(d.url, option.WithAPIKey(testKey), option.WithHeader("X-Claude-Code-Session-Id", "a"))
	b := sdkClient(d.url, option.WithAPIKey(testKey), option.WithHeader("X-Claude-Code-Session-Id", "b"))
	require.NoError(t, drain(a.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-5"))))
	err := drain(a.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-6")))
	require.ErrorContains(t, err, "this session's budget")
	require.NoError(t, drain(b.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-7"))), "another session is not stopped")
	none := sdkClient(d.url, option.WithAPIKey(testKey))
	require.NoError(t, drain(none.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-8"))), "a call with no session has no session budget")
}

// TestSubscriptionCountsOnlyWhenAsked: subscription calls cost nothing
// per token, so they count against a budget at their API-equivalent
// price only with budget_include_subscription.
func TestSubscriptionCountsOnlyWhenAsked(t *testing.T) {
	for _, include := range []bool{false, true} {
		up := newRealishUpstream(t)
		per := oneCall(t)
		d := startDaemon(t, up.URL, budgetTOML(per/2, 0, include))
		sub := sdkClient(d.url, option.WithAuthToken("sk-ant-oat01-TESTONLY"))
		ctx := context.Background()
		require.NoError(t, drain(sub.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-9"))))
		err := drain(sub.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-10")))
		if include {
			require.ErrorContains(t, err, "daily budget")
		} else {
			require.NoError(t, err)
		}
		sum := d.summary("", time.Now())
		assert.InDelta(t, per*map[bool]float64{false: 2, true: 1}[include], sum.TodayCost.SubscriptionUSD, 1e-9)
	}
}

// TestSpendSurvivesARestart: today's spend is read back from the usage
// database, so a restart does not reset a budget.
func TestSpendSurvivesARestart(t *testing.T) {
	up := newRealishUpstream(t)
	per := oneCall(t)
	d := startDaemon(t, up.URL, "")
	c := sdkClient(d.url, option.WithAPIKey(testKey), option.WithHeader("X-Claude-Code-Session-Id", "kept"))
	require.NoError(t, drain(c.Messages.NewStreaming(context.Background(), params("claude-opus-5-5", "ok-11"))))
	d.waitRows(t, 1)

	var s spend
	require.NoError(t, s.seed(context.Background(), d.store, time.Now()))
	assert.InDelta(t, per, s.today.apiKey, 1e-9)
	require.Contains(t, s.sessions, "kept")
	assert.InDelta(t, per, s.sessions["kept"].apiKey, 1e-9)
}

// TestSpendRollsOverAtMidnight: yesterday's spend does not count today.
func TestSpendRollsOverAtMidnight(t *testing.T) {
	var s spend
	day := time.Date(2026, 12, 1, 23, 59, 0, 0, time.Local)
	s.add(day, "x", "api_key", 5)
	assert.InDelta(t, 5, s.today.apiKey, 1e-9)
	s.add(day.Add(2*time.Minute), "x", "api_key", 1)
	assert.InDelta(t, 1, s.today.apiKey, 1e-9, "a new day starts from zero")
	assert.InDelta(t, 6, s.sessions["x"].apiKey, 1e-9, "a session spans midnight")
}

func budgetTOML(daily, session float64, include bool) string {
	return fmt.Sprintf("budget_daily_usd = %v\nbudget_session_usd = %v\nbudget_include_subscription = %t\n", daily, session, include)
}

func writeTOML(t *testing.T, d *testDaemon, upstream, extra string) {
	t.Helper()
	content := "[daemon]\nupstream_url = \"" + upstream + "\"\nlog_level = \"debug\"\n" + extra
	require.NoError(t, os.WriteFile(filepath.Join(d.home, "config.toml"), []byte(content), 0o600))
}

// TestConcurrentCallsCannotOvershoot: calls admitted at once all see the
// same spend; each holds the least it will cost (its input at the
// cache-read price) until it ends, so a burst stops at the budget.
func TestConcurrentCallsCannotOvershoot(t *testing.T) {
	up := newFakeUpstream(t)
	// A 1 MB request is about 200 000 tokens: at least $0.04 on
	// claude-opus-5-5 ($0.20 per million cache reads).
	big := strings.Repeat("x", 1<<20)
	held, ok := prices.Price("claude-opus-5-5", prices.Usage{CacheReadInputTokens: int64(len(msgBody("claude-opus-5-5", big, false, "hold")) / 5)}, nil, time.Now())
	require.True(t, ok)
	d := startDaemon(t, up.URL, budgetTOML(1.5*held, 0, false))

	codes := make(chan int, 5)
	for i := range 2 {
		go func() {
			// Different bodies: identical ones would share one upstream call.
			resp, _ := d.post(t, msgBody("claude-opus-5-5", big+strings.Repeat("z", i), false, "hold"))
			codes <- resp.StatusCode
		}()
	}
	for range 2 {
		select { // both admitted and at the upstream, neither finished
		case <-up.Received:
		case <-time.After(10 * time.Second):
			t.Fatal("the held calls never reached the upstream")
		}
	}
	resp, body := d.post(t, msgBody("claude-opus-5-5", big+"y", false, "hold"))
	require.Equal(t, http.StatusPaymentRequired, resp.StatusCode, "two calls in flight hold more than the budget leaves: %s", body)
	require.Contains(t, body, "more in calls being answered")
	up.Release()
	require.Equal(t, 200, <-codes)
	require.Equal(t, 200, <-codes)
	// The hold is let go after the answer's last byte is written, so the
	// client can see its answer a moment before that.
	require.Eventually(t, func() bool {
		d.spend.mu.Lock()
		defer d.spend.mu.Unlock()
		return math.Abs(d.spend.reserved.apiKey) < 1e-12
	}, 10*time.Second, 5*time.Millisecond, "what the calls held is released when they end")
}

// TestPlanFiguresAreChecked: figures from the upstream that are not
// numbers (NaN, infinity) or out of range never reach an answer.
func TestPlanFiguresAreChecked(t *testing.T) {
	h := http.Header{}
	h.Set("Anthropic-Ratelimit-Unified-5h-Utilization", "NaN")
	h.Set("Anthropic-Ratelimit-Unified-7d-Utilization", "1e400")
	h.Set("Anthropic-Ratelimit-Unified-7d_opus-Utilization", "-3")
	h.Set("Anthropic-Ratelimit-Unified-5h-Reset", "253402300800")
	p, ok := parsePlan(h, time.Now())
	require.True(t, ok)
	for _, w := range p.Windows {
		require.False(t, math.IsNaN(w.Utilization) || math.IsInf(w.Utilization, 0), w.Name)
		require.GreaterOrEqual(t, w.Utilization, 0.0, w.Name)
		require.Nil(t, w.ResetsAt, w.Name)
	}
	_, err := json.Marshal(p)
	require.NoError(t, err)
}

// TestACallAcrossMidnightKeepsToday: a call that began yesterday and ends
// today counts for yesterday, and does not take the day back.
func TestACallAcrossMidnightKeepsToday(t *testing.T) {
	var s spend
	today := time.Date(2026, 12, 2, 0, 5, 0, 0, time.Local)
	s.add(today, "x", "api_key", 3)
	s.add(today.Add(-10*time.Minute), "x", "api_key", 1)
	require.InDelta(t, 3, s.today.apiKey, 1e-9)
	require.Equal(t, localDay(today), s.day)
}
