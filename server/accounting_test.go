package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/prices"
)

// realishUpstream answers as the Messages API does, in the shapes the
// accounting must read: usage split across message_start and
// message_delta with both cache-write lifetimes, an error event after
// message_start, a stream that stalls after message_start, and the plan's
// unified rate-limit headers for an OAuth credential. The request's
// metadata.user_id picks the scenario.
type realishUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	stalled chan struct{} // one value per stalled stream, once message_start is out
}

// Every answer's usage: what the recorded call must equal.
var realUsage = prices.Usage{InputTokens: 994, OutputTokens: 42, CacheReadInputTokens: 5000, CacheCreationInputTokens: 3300,
	CacheCreation5mInputTokens: 3000, CacheCreation1hInputTokens: 300}

func newRealishUpstream(t *testing.T) *realishUpstream {
	u := &realishUpstream{stalled: make(chan struct{}, 16)}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(func() { u.CloseClientConnections(); u.Close() })
	return u
}

func (u *realishUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.headers = append(u.headers, r.Header.Clone())
	u.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/v1/messages/count_tokens":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"input_tokens":1234}`)
		return
	case "/v1/models":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":[{"type":"model","id":"claude-opus-5-5"}],"has_more":false}`)
		return
	}
	var req struct {
		Model    string `json:"model"`
		Metadata struct {
			UserID string `json:"user_id"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(body, &req)
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk-ant-oat") {
		for k, v := range map[string]string{
			"anthropic-ratelimit-unified-status": "allowed", "anthropic-ratelimit-unified-representative-claim": "five_hour",
			"anthropic-ratelimit-unified-5h-utilization": "0.42", "anthropic-ratelimit-unified-5h-reset": "4102444800",
			"anthropic-ratelimit-unified-5h-status": "allowed", "anthropic-ratelimit-unified-7d-utilization": "0.17",
			"anthropic-ratelimit-unified-7d-reset": "4102531200", "anthropic-ratelimit-unified-7d-status": "allowed",
			"anthropic-ratelimit-unified-7d_sonnet-utilization": "0.05", "anthropic-ratelimit-unified-7d_sonnet-reset": "1000",
		} {
			w.Header().Set(k, v)
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	rc := http.NewResponseController(w)
	send := func(name, data string) {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
		_ = rc.Flush()
	}
	send("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":1,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d,"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d}}}}`,
		req.Model, realUsage.InputTokens, realUsage.CacheReadInputTokens, realUsage.CacheCreationInputTokens, realUsage.CacheCreation5mInputTokens, realUsage.CacheCreation1hInputTokens))
	send("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	send("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`)
	switch req.Metadata.UserID {
	case "stall":
		u.stalled <- struct{}{}
		<-r.Context().Done()
		return
	case "overloaded":
		send("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
		return
	}
	send("content_block_stop", `{"type":"content_block_stop","index":0}`)
	send("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d}}`, realUsage.OutputTokens))
	send("message_stop", `{"type":"message_stop"}`)
}

func sdkClient(base string, opts ...option.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]option.RequestOption{option.WithBaseURL(base), option.WithMaxRetries(0)}, opts...)...)
}

func params(model, scenario string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model: anthropic.Model(model), MaxTokens: 256,
		Metadata: anthropic.MetadataParam{UserID: anthropic.String(scenario)},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("say hi " + scenario))},
	}
}

// drain reads a stream to its end and returns its error.
func drain(s interface {
	Next() bool
	Err() error
}) error {
	for s.Next() {
	}
	return s.Err()
}

// TestCallsAreCountedAsTheAPIBillsThem drives every accounting case with
// the official SDK: the recorded tokens and cost of each call equal what
// the upstream reported, priced by the dataset.
func TestCallsAreCountedAsTheAPIBillsThem(t *testing.T) {
	up := newRealishUpstream(t)
	d := startDaemon(t, up.URL, "")
	ctx := context.Background()
	session := "6078c7a6-6e1a-4e9d-9c54-fb8d93a1ce3d"
	claude := []option.RequestOption{option.WithAPIKey(testKey),
		option.WithHeader("X-Claude-Code-Session-Id", session), option.WithHeader("X-Cco-Project", "/home/alice/my%20project")}

	// A Claude Code turn: its default model, both cache-write lifetimes.
	c := sdkClient(d.url, claude...)
	require.NoError(t, drain(c.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok"))))
	for _, h := range up.headers {
		for k := range h {
			assert.False(t, strings.HasPrefix(k, "X-Cco-"), "cco's own header %s went upstream", k)
		}
	}

	// Interrupted with Ctrl-C once message_start has reported the input.
	ictx, cancel := context.WithCancel(ctx)
	s := c.Messages.NewStreaming(ictx, params("claude-opus-5-5", "stall"))
	go func() { <-up.stalled; cancel() }()
	_ = drain(s)

	// An error event after message_start.
	require.Error(t, drain(c.Messages.NewStreaming(ctx, params("claude-opus-5-5", "overloaded"))))

	// A subscription (OAuth) call, and a model no price knows.
	sub := sdkClient(d.url, option.WithAuthToken("sk-ant-oat01-TESTONLY"), option.WithHeader("X-Claude-Code-Session-Id", session))
	require.NoError(t, drain(sub.Messages.NewStreaming(ctx, params("claude-opus-5-5", "ok-sub"))))
	require.NoError(t, drain(c.Messages.NewStreaming(ctx, params("claude-nobody-knows-9", "unknown"))))

	// Calls that are not Messages calls.
	_, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: "claude-opus-5-5",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("count me"))}})
	require.NoError(t, err)
	_, err = c.Models.List(ctx, anthropic.ModelListParams{})
	require.NoError(t, err)

	d.waitRows(t, 7)
	st := getStats(t, d, "?since=1h")
	byStatus := map[int]analytics.Call{}
	var sawSub bool
	for _, call := range st.Recent {
		if call.Credential == analytics.CredentialOAuth {
			sawSub = true
			continue
		}
		if call.Route == analytics.MessagesRoute && call.Model == "claude-opus-5-5" {
			byStatus[call.Status] = call
		}
	}
	require.True(t, sawSub)
	want, ok := prices.Price("claude-opus-5-5", realUsage, nil, time.Now())
	require.True(t, ok, "the dataset prices Claude Code's default model")

	okCall := byStatus[200]
	assertUsage(t, okCall, realUsage)
	require.NotNil(t, okCall.CostUSD)
	assert.InDelta(t, want, *okCall.CostUSD, 1e-9, "priced by the dataset, 1-hour writes apart")
	assert.Equal(t, session, okCall.Session)
	assert.Equal(t, "/home/alice/my project", okCall.Project, "the launcher's percent-encoding is undone")
	assert.True(t, strings.HasPrefix(okCall.Client, "Anthropic/Go"), okCall.Client)
	assert.Equal(t, analytics.CredentialAPIKey, okCall.Credential)

	interrupted := byStatus[statusClientClosed]
	assert.True(t, interrupted.Interrupted)
	assert.Equal(t, realUsage.InputTokens, interrupted.InputTokens, "message_start's input is billed: it is kept")
	assert.Equal(t, realUsage.CacheReadInputTokens, interrupted.CacheReadTokens)
	require.NotNil(t, interrupted.CostUSD)
	assert.Greater(t, *interrupted.CostUSD, 0.0)

	failed := byStatus[529]
	assert.Equal(t, "overloaded_error", failed.ErrorType, "a stream ending in an error event is an error")

	assert.EqualValues(t, 1, st.Totals.UnpricedRequests)
	assert.EqualValues(t, 1, st.Totals.Interrupted)
	assert.InDelta(t, want, st.Totals.SubscriptionCostUSD, 1e-9, "subscription calls are totalled apart, at their API-equivalent price")
	models := map[string]analytics.ModelStats{}
	for _, m := range st.Models {
		models[m.Model] = m
	}
	assert.Nil(t, models["claude-nobody-knows-9"].CostUSD, "unpriced is not $0")
	assert.NotContains(t, models, "", "count_tokens and models calls are never a model")
	routes := map[string]int64{}
	for _, r := range st.Routes {
		routes[r.Route] = r.Requests
	}
	assert.Equal(t, map[string]int64{"/v1/messages": 5, "/v1/messages/count_tokens": 1, "/v1/models": 1}, routes)

	// Grouped by session: the same figures as the session's calls.
	var groups analytics.GroupStats
	getJSON(t, d.url+"/api/stats?since=1h&by=session", &groups)
	require.Equal(t, "session", groups.By)
	sessions := map[string]analytics.Group{}
	for _, g := range groups.Groups {
		sessions[g.Key] = g
	}
	g := sessions[session]
	assert.EqualValues(t, 7, g.Requests, "every call that named the session: the API-key ones, count_tokens and models, and the subscription's")
	assert.EqualValues(t, 1, g.UnpricedRequests)
	assert.InDelta(t, want, g.SubscriptionCostUSD, 1e-9)

	// The plan's usage, from the subscription call's headers.
	var status Status
	getJSON(t, d.url+"/api/status", &status)
	require.NotNil(t, status.Plan)
	names := []string{}
	for _, w := range status.Plan.Windows {
		names = append(names, w.Name)
	}
	assert.Equal(t, []string{"5h", "7d", "7d_sonnet"}, names, "every window, short ones first")
	assert.InDelta(t, 0.42, status.Plan.Windows[0].Utilization, 1e-9)
	assert.False(t, status.Plan.Windows[0].Stale)
	assert.True(t, status.Plan.Windows[2].Stale, "a window whose reset has passed is shown as stale")
	assert.Equal(t, "five_hour", status.Plan.RepresentativeClaim)
	metrics := getBody(t, d.url+"/metrics")
	assert.Contains(t, metrics, `cco_plan_utilization_ratio{window="5h"} 0.42`)
	assert.Contains(t, metrics, `cco_plan_resets_timestamp_seconds{window="7d"} 4.1025312e+09`)
	assert.Contains(t, metrics, `cco_unpriced_requests_total{model="claude-nobody-knows-9"} 1`)
	assert.Equal(t, "0.1.8", status.Prices.Version)
}

func assertUsage(t *testing.T, c analytics.Call, u prices.Usage) {
	t.Helper()
	assert.Equal(t, u.InputTokens, c.InputTokens)
	assert.Equal(t, u.OutputTokens, c.OutputTokens)
	assert.Equal(t, u.CacheReadInputTokens, c.CacheReadTokens)
	assert.Equal(t, u.CacheCreationInputTokens, c.CacheCreationTokens)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(getBody(t, url)), v))
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, string(b))
	return string(b)
}
