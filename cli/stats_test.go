package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/anthropics/cco/server/analytics"
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
	require.Contains(t, out, "input 5,000,000")
	require.Contains(t, out, "$1.50 estimated")
	require.Contains(t, out, "claude-opus-4-5")
	require.Contains(t, out, "2026-01-01")
	require.Contains(t, out, "RECENT (2 of 2)")

	b.Reset()
	printStats(&b, &analytics.Stats{})
	require.Contains(t, b.String(), "No calls in this period.")
}
