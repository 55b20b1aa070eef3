//go:build linux

package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// faultHeader asks the fake upstream to misbehave; cco forwards it like any
// other request header, and it is not part of the cache key.
const faultHeader = "X-Test-Fault"

// faultyUpstream speaks enough of the Messages API for the reliability suite:
// JSON and streamed answers with usage figures, and on request the faults a
// real upstream shows (resets, stalls, 429/500/529 with retry-after). It
// counts what reaches it, so a test can prove cco never retried.
type faultyUpstream struct {
	srv *httptest.Server

	hits    atomic.Int64 // every request that reached the upstream
	streams atomic.Int64 // streams open right now
	mu      sync.Mutex
	byFault map[string]int
	bodies  map[string]string // body sha256 -> fault, for malformed input

	// hold, when set, keeps "hold" streams open after message_start until
	// it is closed.
	hold chan struct{}
	// stalled is signalled each time a "stall" stream has sent its first
	// event and stopped; cancelled when the proxy gave up on it.
	stalled   chan struct{}
	cancelled atomic.Int64
}

func newFaultyUpstream(t *testing.T) *faultyUpstream {
	u := &faultyUpstream{byFault: map[string]int{}, bodies: map[string]string{}, hold: make(chan struct{}), stalled: make(chan struct{}, 64)}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(func() {
		u.release()
		u.srv.CloseClientConnections()
		u.srv.Close()
	})
	return u
}

func (u *faultyUpstream) URL() string { return u.srv.URL }

// release lets every held stream finish.
func (u *faultyUpstream) release() {
	u.mu.Lock()
	defer u.mu.Unlock()
	select {
	case <-u.hold:
	default:
		close(u.hold)
	}
}

// count is how many requests with fault f reached the upstream ("" = none).
func (u *faultyUpstream) count(f string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byFault[f]
}

// sawBody reports whether exactly these bytes reached the upstream.
func (u *faultyUpstream) sawBody(b []byte) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.bodies[bodyHash(b)]
	return ok
}

func bodyHash(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type fakeRequest struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
}

func (u *faultyUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fault := r.Header.Get(faultHeader)
	u.hits.Add(1)
	u.mu.Lock()
	u.byFault[fault]++
	u.bodies[bodyHash(body)] = fault
	u.mu.Unlock()

	var req fakeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"type":"error","error":{"type":"invalid_request_error","message":"fake upstream: body is not JSON: %s"}}`, jsonEscape(err.Error()))
		return
	}
	switch {
	case fault == "reset":
		// Close the connection without a response, as a crashed or
		// overloaded upstream does.
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("no hijacker")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case strings.HasPrefix(fault, "status:"):
		code, _ := strconv.Atoi(strings.TrimPrefix(fault, "status:"))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "7")
		w.Header().Set("X-Fake-Upstream", "status")
		w.WriteHeader(code)
		io.WriteString(w, statusBody(code))
		return
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake")
		fmt.Fprintf(w, `{"id":"msg_fake","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":"hello"}],"stop_reason":"end_turn","usage":{"input_tokens":11,"output_tokens":7,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}`, req.Model)
		return
	}
	u.stream(w, r, req.Model, fault)
}

// statusBody is the exact error body the fake sends for code; the suite
// checks the client gets these bytes unchanged.
func statusBody(code int) string {
	typ := map[int]string{429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}[code]
	return fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":"fake upstream says %d"}}`, typ, code)
}

func (u *faultyUpstream) stream(w http.ResponseWriter, r *http.Request, model, fault string) {
	u.streams.Add(1)
	defer u.streams.Add(-1)
	fl := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	event := func(name, data string) {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
		fl.Flush()
	}
	event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_fake","type":"message","role":"assistant","model":%q,"content":[],"usage":{"input_tokens":13,"output_tokens":1}}}`, model))
	switch fault {
	case "cut":
		// The upstream dies mid-stream: the connection breaks with no
		// message_stop.
		panic(http.ErrAbortHandler)
	case "stall":
		u.stalled <- struct{}{}
		<-r.Context().Done()
		u.cancelled.Add(1)
		return
	case "hold":
		select {
		case <-u.hold:
		case <-r.Context().Done():
			u.cancelled.Add(1)
			return
		}
	}
	event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello"}}`)
	event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}`)
	event("message_stop", `{"type":"message_stop"}`)
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
