package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/anthropics/cco/server/prices"
)

// fakeUsage is what the fake upstream reports for every answer: one
// 5-minute and one 1-hour cache write, and a web search.
var fakeUsage = prices.Usage{InputTokens: 12, OutputTokens: 7, CacheReadInputTokens: 3, CacheCreationInputTokens: 2,
	CacheCreation5mInputTokens: 1, CacheCreation1hInputTokens: 1, WebSearchRequests: 1}

// fakeUpstream speaks enough of the Messages API for the proxy: JSON and
// SSE answers with usage. A request's "metadata.user_id" picks a behaviour:
//
//	error500   a 500 JSON error
//	interrupt  a stream cut off before message_stop
//	hold       an answer (or a stream's last events) held until release
type fakeUpstream struct {
	*httptest.Server
	calls    atomic.Int64
	mu       sync.Mutex
	headers  []http.Header // request headers seen, in order
	paths    []string      // path?query seen
	release  chan struct{} // closed to let "hold" streams finish
	received chan struct{} // one value per request received
}

func newFakeUpstream(t testing.TB) *fakeUpstream {
	f := &fakeUpstream{release: make(chan struct{}), received: make(chan struct{}, 1000)}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.releaseAll()
		f.Close()
	})
	return f
}

func (f *fakeUpstream) releaseAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.release:
	default:
		close(f.release)
	}
}

type fakeRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Metadata struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
	Messages []struct {
		Content any `json:"content"`
	} `json:"messages"`
}

// fakeText is the answer to body: different bodies, different answers.
func fakeText(body []byte) string {
	sum := sha256.Sum256(body)
	return "Hello from the fake upstream, answer " + hex.EncodeToString(sum[:4])
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	f.mu.Lock()
	f.headers = append(f.headers, r.Header.Clone())
	f.paths = append(f.paths, r.URL.RequestURI())
	f.mu.Unlock()
	f.received <- struct{}{}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/v1/messages" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":[],"path":%q}`, r.URL.Path)
		return
	}
	var req fakeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"type":"error","error":{"type":"invalid_request_error","message":"bad json"}}`)
		return
	}
	if req.Metadata.UserID == "error500" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		fmt.Fprint(w, `{"type":"error","error":{"type":"api_error","message":"boom"}}`)
		return
	}
	text := fakeText(body)
	w.Header().Set("Request-Id", "req_fake")
	if !req.Stream {
		if req.Metadata.UserID == "hold" {
			select {
			case <-f.release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"msg_fake","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":%q}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":%d,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d,"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d},"server_tool_use":{"web_search_requests":%d}}}`,
			req.Model, text, fakeUsage.InputTokens, fakeUsage.OutputTokens, fakeUsage.CacheReadInputTokens, fakeUsage.CacheCreationInputTokens,
			fakeUsage.CacheCreation5mInputTokens, fakeUsage.CacheCreation1hInputTokens, fakeUsage.WebSearchRequests)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	send := func(name, data string) {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
		_ = rc.Flush()
	}
	send("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_fake","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":%d,"output_tokens":1,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d,"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d}}}}`,
		req.Model, fakeUsage.InputTokens, fakeUsage.CacheReadInputTokens, fakeUsage.CacheCreationInputTokens,
		fakeUsage.CacheCreation5mInputTokens, fakeUsage.CacheCreation1hInputTokens))
	send("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	fmt.Fprint(w, ": keep-alive comment\n\n")
	send("ping", `{"type": "ping"}`)
	words := strings.SplitAfter(text, " ")
	for i, word := range words {
		if i == len(words)/2 && req.Metadata.UserID == "hold" {
			select {
			case <-f.release:
			case <-r.Context().Done():
				return
			}
		}
		b, _ := json.Marshal(word)
		send("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+string(b)+`}}`)
	}
	if req.Metadata.UserID == "interrupt" {
		panic(http.ErrAbortHandler)
	}
	send("content_block_stop", `{"type":"content_block_stop","index":0}`)
	send("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d,"server_tool_use":{"web_search_requests":%d}}}`,
		fakeUsage.OutputTokens, fakeUsage.WebSearchRequests))
	send("message_stop", `{"type":"message_stop"}`)
}

func (f *fakeUpstream) lastHeader() http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers[len(f.headers)-1]
}
