package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/cco/server"
	"github.com/anthropics/cco/server/analytics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatsFormatting(t *testing.T) {
	require.Equal(t, "0", num(0))
	require.Equal(t, "999", num(999))
	require.Equal(t, "1,000", num(1000))
	require.Equal(t, "1,234,567", num(1234567))
	require.Equal(t, "-12,345", num(-12345))
	require.Equal(t, "$0.00", usd(0))
	require.Equal(t, "$0.0012", usd(0.00123))
	require.Equal(t, "$12.35", usd(12.345))

	cost := 0.5
	st := &analytics.Stats{
		Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		Totals: analytics.Totals{Requests: 1234, CacheHits: 10, CacheHitRate: 0.25, InputTokens: 5000000, CostUSD: 1.5},
		Models: []analytics.ModelStats{{Model: "claude-opus-4-5", Totals: analytics.Totals{Requests: 1234}}},
		Days:   []analytics.DayStats{{Day: "2026-01-01", Requests: 1234}},
		Recent: []analytics.Call{{Time: time.Now(), Model: "claude-opus-4-5", Status: 200, Cache: "miss", CostUSD: &cost}, {Model: "x", Status: 502}},
	}
	var b bytes.Buffer
	printStats(&b, st)
	out := b.String()
	require.Contains(t, out, "Requests  1,234 (0 errors), cache hits 10 (25.0%)")
	require.Contains(t, out, "claude-opus-4-5  1,234", "a model's cost is shown")
	require.Contains(t, out, "unpriced", "a call with no price shows as unpriced, never $0.00")
	require.Contains(t, out, "input 5,000,000")
	require.Contains(t, out, "$1.50 estimated")
	require.Contains(t, out, "claude-opus-4-5")
	require.Contains(t, out, "2026-01-01")
	require.Contains(t, out, "RECENT (2 of 2)")

	b.Reset()
	printStats(&b, &analytics.Stats{})
	require.Contains(t, b.String(), "No calls in this period.")

	b.Reset()
	one := 1.25
	printStats(&b, &analytics.Stats{Totals: analytics.Totals{Requests: 3, Errors: 1, CostUSD: 2, APIKeyCostUSD: 0.75, SubscriptionCostUSD: 1.25, UnpricedRequests: 1},
		Models: []analytics.ModelStats{{Model: "m", Totals: analytics.Totals{Requests: 3, UnpricedRequests: 1}, CostUSD: &one}}})
	out = b.String()
	require.Contains(t, out, "(1 error)", "one error, not '1 errors'")
	require.Contains(t, out, "subscription $1.25 API-equivalent")
	require.Contains(t, out, "1 call unpriced")
	require.Contains(t, out, `[prices."MODEL"]`)
	require.Contains(t, out, "$1.25 + unpriced")
}

func TestGroupsTable(t *testing.T) {
	c := 0.5
	gs := &analytics.GroupStats{By: "session", Groups: []analytics.Group{
		{Key: "s-new", Requests: 2, CostUSD: &c, APIKeyCostUSD: 0.5, Last: time.Now()},
		{Key: "s-sub", Requests: 1, CostUSD: &c, SubscriptionCostUSD: 0.5, Last: time.Now().Add(-time.Hour)},
		{Key: "", Requests: 1, UnpricedRequests: 1},
	}, More: 3}
	var b bytes.Buffer
	printGroups(&b, gs, false)
	out := b.String()
	require.Contains(t, out, "SESSION")
	require.Contains(t, out, "SUBSCRIPTION (API-EQUIVALENT)")
	require.Contains(t, out, "(none)")
	require.Contains(t, out, "unpriced")
	require.Contains(t, out, "3 groups older not shown")
	require.Less(t, strings.Index(out, "s-new"), strings.Index(out, "s-sub"), "newest first")
}

func TestPlanLine(t *testing.T) {
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, time.Local)
	r5 := now.Add(3 * time.Hour)
	r7 := now.Add(4 * 24 * time.Hour)
	p := server.Plan{SeenAt: now.Add(-time.Minute), Windows: []server.PlanWindow{
		{Name: "5h", Utilization: 0.42, ResetsAt: &r5},
		{Name: "7d", Utilization: 0.17, ResetsAt: &r7, Status: "allowed_warning"},
		{Name: "7d_oi", Utilization: 0.9, Stale: true},
	}}
	assert.Equal(t, "5h 42% (resets 21:00), 7d 17% (resets "+r7.Format("Mon")+" 18:00) allowed warning, 7d_oi 90% (as of 17:59; it has reset since)", planLine(p, now))
}
