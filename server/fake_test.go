package server

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/prices"
)

// fakeUsage is what the fake upstream reports for every answer: one
// 5-minute and one 1-hour cache write, and a web search.
var fakeUsage = prices.Usage{InputTokens: 12, OutputTokens: 7, CacheReadInputTokens: 3, CacheCreationInputTokens: 2,
	CacheCreation5mInputTokens: 1, CacheCreation1hInputTokens: 1, WebSearchRequests: 1}

// newFakeUpstream is the kit's fake upstream answering with fakeUsage and
// fakeText; a request's metadata.user_id picks a scenario ("status:500",
// "cut", "hold", ...: see testkit.Upstream).
func newFakeUpstream(t testing.TB) *testkit.Upstream {
	u := fakeUsage
	return testkit.NewUpstream(t, testkit.UpstreamOptions{Text: fakeText, Usage: testkit.Usage{
		Input: u.InputTokens, Output: u.OutputTokens, CacheRead: u.CacheReadInputTokens, CacheWrite: u.CacheCreationInputTokens,
		CacheWrite5m: u.CacheCreation5mInputTokens, CacheWrite1h: u.CacheCreation1hInputTokens, WebSearches: u.WebSearchRequests,
	}})
}

// fakeText is the answer to body: different bodies, different answers.
func fakeText(body []byte) string {
	sum := sha256.Sum256(body)
	return "Hello from the fake upstream, answer " + hex.EncodeToString(sum[:4])
}
