package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
