package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/analytics"
)

func TestProxyJSONAndHeaders(t *testing.T) {
	d, up := startProxy(t, "")
	body := msgBody("claude-sonnet-4-5-20250929", "hi", false, "")
	resp, got := d.post(t, body, "Anthropic-Beta", "b1", "Connection", "X-Hop", "X-Hop", "secret-hop")
	require.Equal(t, 200, resp.StatusCode, got)
	require.Contains(t, got, fakeText([]byte(body)))
	require.Equal(t, "miss", resp.Header.Get("X-Cco-Cache"))
	require.Equal(t, "req_fake", resp.Header.Get("Request-Id"))
	h := up.LastHeader()
	require.Equal(t, testKey, h.Get("X-Api-Key"), "the caller's key is forwarded untouched")
	require.Equal(t, "b1", h.Get("Anthropic-Beta"))
	require.Empty(t, h.Get("X-Hop"), "headers named by Connection are hop-by-hop")

	// path and query are kept; other routes pass through too
	req, _ := http.NewRequest(http.MethodGet, d.url+"/v1/models?limit=5", nil)
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	require.Equal(t, 200, r2.StatusCode)
	require.Equal(t, "/v1/models?limit=5", up.LastPath())

	_, _ = d.post(t, body) // a hit
	resp, _ = d.post(t, strings.Replace(body, `"hi"`, `"hi?beta=true"`, 1))
	require.Equal(t, "miss", resp.Header.Get("X-Cco-Cache"))
}

func TestProxyUpstreamUnreachable(t *testing.T) {
	up := newFakeUpstream(t)
	url := up.URL
	up.Close()
	d := startDaemon(t, url, "")
	resp, body := d.post(t, msgBody("claude-haiku-4-5", "x", false, ""))
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	require.Contains(t, body, `"type": "error"`)
	require.Contains(t, body, "could not reach the upstream API")
}

func TestProxyBodyTooLarge(t *testing.T) {
	d, up := startProxy(t, "max_body_size = 100\n")
	resp, body := d.post(t, msgBody("claude-haiku-4-5", strings.Repeat("x", 200), false, ""))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Contains(t, body, "request_too_large")
	require.Contains(t, body, "max_body_size")
	require.Zero(t, up.Hits.Load())
}

// The official SDK, pointed at cco by base URL, gets what it gets directly.
func TestOfficialSDKThroughCCO(t *testing.T) {
	d, up := startProxy(t, "")
	ctx := context.Background()
	client := func(base string) *anthropic.Client {
		c := anthropic.NewClient(option.WithBaseURL(base), option.WithAPIKey(testKey), option.WithMaxRetries(0))
		return &c
	}
	params := anthropic.MessageNewParams{
		Model:     anthropic.ModelClaudeSonnet4_5_20250929,
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What is a quaternion?"))},
	}

	direct, err := client(up.URL).Messages.New(ctx, params)
	require.NoError(t, err)
	proxied, err := client(d.url).Messages.New(ctx, params)
	require.NoError(t, err)
	require.Equal(t, direct.Content[0].Text, proxied.Content[0].Text)
	require.NotEmpty(t, proxied.Content[0].Text)
	require.EqualValues(t, fakeUsage.InputTokens, proxied.Usage.InputTokens)

	stream := func(base string) anthropic.Message {
		s := client(base).Messages.NewStreaming(ctx, params)
		var msg anthropic.Message
		for s.Next() {
			require.NoError(t, msg.Accumulate(s.Current()))
		}
		require.NoError(t, s.Err())
		return msg
	}
	sd := stream(up.URL)
	sp := stream(d.url)
	require.Equal(t, sd.Content[0].Text, sp.Content[0].Text)
	require.NotEmpty(t, sp.Content[0].Text)
	require.EqualValues(t, fakeUsage.OutputTokens, sp.Usage.OutputTokens)
	sc := stream(d.url) // again: from the cache, still a stream
	require.Equal(t, sd.Content[0].Text, sc.Content[0].Text)

	d.waitRows(t, 3)
	st := getStats(t, d, "")
	require.EqualValues(t, 3, st.Totals.Requests)
	require.EqualValues(t, 1, st.Totals.CacheHits)
	for _, c := range st.Recent {
		require.Equal(t, string(anthropic.ModelClaudeSonnet4_5_20250929), c.Model)
		require.Equal(t, fakeUsage.InputTokens, c.InputTokens)
		require.Equal(t, fakeUsage.OutputTokens, c.OutputTokens)
	}
}

// TestHangupAfterTheWholeAnswer: a client that reads exactly the
// answer's Content-Length and hangs up at once got the whole answer: the
// call is a success with its usage, never "interrupted" at $0.
func TestHangupAfterTheWholeAnswer(t *testing.T) {
	d, _ := startProxy(t, "")
	addr := strings.TrimPrefix(d.url, "http://")
	const n = 60
	for i := range n {
		body := msgBody("claude-haiku-4-5", fmt.Sprintf("hang up %d", i), false, "")
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-Api-Key: %s\r\nAnthropic-Version: 2023-06-01\r\nContent-Length: %d\r\n\r\n%s", addr, testKey, len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.Positive(t, resp.ContentLength)
		_, err = io.ReadFull(resp.Body, make([]byte, resp.ContentLength))
		require.NoError(t, err)
		conn.Close() // at once, as a client that has what it asked for
	}
	d.waitRows(t, n)
	st, err := d.store.Stats(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Minute), analytics.Filter{})
	require.NoError(t, err)
	require.EqualValues(t, n, st.Totals.Requests)
	require.Zero(t, st.Totals.Interrupted, "a whole answer is not an interrupted one")
	require.Zero(t, st.Totals.Errors)
	require.EqualValues(t, n*fakeUsage.InputTokens, st.Totals.InputTokens)
}

// BenchmarkRecording is one proxied call (sent upstream every time, with
// Cache-Control: no-store) with usage recording on and off; the two run
// interleaved under -count, which is what `make bench` compares. Off means
// no batch writer: the call is priced and counted but never queued.
func BenchmarkRecording(b *testing.B) {
	// Not newFakeUpstream: it keeps every request's headers and counts
	// them into a bounded channel, which a long run would fill.
	answer := `{"id":"msg_b","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":7}}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer up.Close()
	quiet := func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) }
	on := startDaemon(b, up.URL, "health_checks = false\n", quiet)
	off := startDaemon(b, up.URL, "health_checks = false\n", quiet) // the checks look at the writer
	// Before any request reaches it, so no handler sees the writer change.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := off.writer.Close(ctx); err != nil {
		b.Fatal(err)
	}
	off.writer = nil
	body := msgBody("claude-sonnet-4-5", "bench", false, "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	call := func(b *testing.B, url string) {
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/messages", strings.NewReader(body))
		req.Header.Set("X-Api-Key", testKey)
		req.Header.Set("Cache-Control", "no-store")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	for _, c := range []struct {
		name string
		d    *testDaemon
	}{{"on", on}, {"off", off}} {
		b.Run(c.name, func(b *testing.B) {
			call(b, c.d.url)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call(b, c.d.url)
			}
		})
	}
}
