package testkit

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
)

// FaultHeader picks a request's scenario (see Upstream); cco forwards it
// like any other request header, and it is not part of the cache key. A
// request without it may name the scenario in metadata.user_id instead,
// which needs no header support from the client.
const FaultHeader = "X-Test-Fault"

// Usage is the token figures the fake reports for an answer. The cache
// write split and web searches are left out of the answer when zero, as
// the API leaves them out for calls that have none.
type Usage struct {
	Input, Output, CacheRead, CacheWrite int64
	CacheWrite5m, CacheWrite1h           int64
	WebSearches                          int64
}

// UpstreamOptions shape the fake's normal answers.
type UpstreamOptions struct {
	Usage       Usage // of JSON answers
	StreamUsage Usage // of streamed answers; Usage when zero
	// Text is the answer to a request body, streamed a word an event;
	// "hello" when nil.
	Text func(body []byte) string
	// UsageOf, when set, is the usage of the answer to a request body, JSON
	// or streamed, in place of Usage and StreamUsage.
	UsageOf func(body []byte) Usage
}

// Upstream is the one fake Anthropic API of the tests and benchmarks: it
// speaks enough of the Messages API for cco to proxy, cache and record
// (JSON and SSE answers with usage), counts what reaches it, so a test can
// prove cco never retried, and misbehaves on request. Scenarios:
//
//	(none)      a normal answer
//	status:NNN  status NNN with retry-after and an Anthropic error body
//	reset       the connection closed with no answer
//	cut         a stream broken off before message_stop
//	stall       a stream that stops after message_start until the client goes
//	hold        an answer (a stream after message_start) held until Release
//
// Other paths than /v1/messages answer {"data":[],"path":…}.
type Upstream struct {
	*httptest.Server
	opts UpstreamOptions

	Hits      atomic.Int64  // every request that reached the upstream
	Streams   atomic.Int64  // streams open right now
	Cancelled atomic.Int64  // held or stalled answers whose client went away
	Received  chan struct{} // a value per request, while there is room
	Stalled   chan struct{} // a value per stalled stream, once it stopped
	Hold      chan struct{} // closed by Release

	mu      sync.Mutex
	fault   string // the scenario of requests that name none (SetFault)
	byFault map[string]int
	bodies  map[string]bool // sha256 of every body received
	headers []http.Header
	paths   []string
}

// NewUpstream starts the fake on a loopback port; it stops when the test
// ends, releasing what it holds.
func NewUpstream(t testing.TB, opts UpstreamOptions) *Upstream {
	u := StartUpstream(opts)
	t.Cleanup(u.Close)
	return u
}

// StartUpstream is NewUpstream for a caller that is not a test (bench);
// Close stops it.
func StartUpstream(opts UpstreamOptions) *Upstream {
	if opts.StreamUsage == (Usage{}) {
		opts.StreamUsage = opts.Usage
	}
	u := &Upstream{opts: opts, byFault: map[string]int{}, bodies: map[string]bool{},
		Received: make(chan struct{}, 1000), Stalled: make(chan struct{}, 64), Hold: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	return u
}

// Close releases what is held, cuts the connections still open and stops
// the server.
func (u *Upstream) Close() {
	u.Release()
	u.Server.CloseClientConnections()
	u.Server.Close()
}

// Release lets every held answer finish.
func (u *Upstream) Release() {
	u.mu.Lock()
	defer u.mu.Unlock()
	select {
	case <-u.Hold:
	default:
		close(u.Hold)
	}
}

// SetFault makes the requests that name no scenario play f from now on,
// for a client that cannot send one (Claude Code); "" for normal answers.
func (u *Upstream) SetFault(f string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fault = f
}

// Count is how many requests of scenario f reached the upstream ("": the
// normal ones).
func (u *Upstream) Count(f string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.byFault[f]
}

// SawBody reports whether exactly these bytes reached the upstream.
func (u *Upstream) SawBody(b []byte) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bodies[bodyHash(b)]
}

// Headers are the headers of every request received, in order.
func (u *Upstream) Headers() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]http.Header(nil), u.headers...)
}

// MessageHeaders are the headers of every Messages call (path
// /v1/messages) received, in order.
func (u *Upstream) MessageHeaders() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []http.Header
	for i, p := range u.paths {
		if path, _, _ := strings.Cut(p, "?"); path == "/v1/messages" {
			out = append(out, u.headers[i])
		}
	}
	return out
}

// LastHeader is the last request's headers.
func (u *Upstream) LastHeader() http.Header {
	h := u.Headers()
	return h[len(h)-1]
}

// LastPath is the last request's path and query.
func (u *Upstream) LastPath() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.paths[len(u.paths)-1]
}

func bodyHash(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// request is the part of a Messages request the fake reads.
type request struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Metadata struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
}

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req request
	jsonErr := json.Unmarshal(body, &req)
	fault := r.Header.Get(FaultHeader)
	if fault == "" {
		fault = req.Metadata.UserID
	}
	if !isFault(fault) {
		fault = ""
	}
	u.Hits.Add(1)
	u.mu.Lock()
	if fault == "" {
		fault = u.fault
	}
	u.byFault[fault]++
	u.bodies[bodyHash(body)] = true
	u.headers = append(u.headers, r.Header.Clone())
	u.paths = append(u.paths, r.URL.RequestURI())
	u.mu.Unlock()
	select {
	case u.Received <- struct{}{}:
	default:
	}

	if r.URL.Path != "/v1/messages" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":[],"path":%q}`, r.URL.Path)
		return
	}
	if jsonErr != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "fake upstream: body is not JSON: "+jsonErr.Error())
		return
	}
	switch {
	case fault == "reset":
		// Closed without a response, as a crashed or overloaded upstream
		// does.
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	case strings.HasPrefix(fault, "status:"):
		var code int
		fmt.Sscan(strings.TrimPrefix(fault, "status:"), &code)
		w.Header().Set("Retry-After", "7")
		w.Header().Set("X-Fake-Upstream", "status")
		writeError(w, code, errorType(code), fmt.Sprintf("fake upstream says %d", code))
		return
	}
	text := "hello"
	if u.opts.Text != nil {
		text = u.opts.Text(body)
	}
	use, streamUse := u.opts.Usage, u.opts.StreamUsage
	if u.opts.UsageOf != nil {
		use = u.opts.UsageOf(body)
		streamUse = use
	}
	w.Header().Set("Request-Id", "req_fake")
	if req.Stream {
		u.stream(w, r, req.Model, text, fault, streamUse)
		return
	}
	if fault == "hold" && !u.held(r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"msg_fake","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":%s}],"stop_reason":"end_turn","stop_sequence":null,"usage":%s}`,
		req.Model, jsonString(text), use.json(use.Output))
}

func isFault(f string) bool {
	switch f {
	case "reset", "cut", "stall", "hold":
		return true
	}
	return strings.HasPrefix(f, "status:")
}

// held waits for Release; false when the client went away first.
func (u *Upstream) held(r *http.Request) bool {
	select {
	case <-u.Hold:
		return true
	case <-r.Context().Done():
		u.Cancelled.Add(1)
		return false
	}
}

func (u *Upstream) stream(w http.ResponseWriter, r *http.Request, model, text, fault string, use Usage) {
	u.Streams.Add(1)
	defer u.Streams.Add(-1)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	event := func(name, data string) {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
		_ = rc.Flush()
	}
	event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_fake","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":%s}}`,
		model, use.json(1)))
	switch fault {
	case "stall":
		u.Stalled <- struct{}{}
		<-r.Context().Done()
		u.Cancelled.Add(1)
		return
	case "hold":
		if !u.held(r) {
			return
		}
	}
	event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	// A comment and a ping, as the API sends: cco must pass both through
	// and count neither.
	fmt.Fprint(w, ": keep-alive comment\n\n")
	event("ping", `{"type": "ping"}`)
	for _, word := range strings.SplitAfter(text, " ") {
		event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+jsonString(word)+`}}`)
	}
	if fault == "cut" {
		// The upstream dies mid-stream: the connection breaks with no
		// message_stop.
		panic(http.ErrAbortHandler)
	}
	event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	tools := ""
	if use.WebSearches > 0 {
		tools = fmt.Sprintf(`,"server_tool_use":{"web_search_requests":%d}`, use.WebSearches)
	}
	event("message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":%d%s}}`, use.Output, tools))
	event("message_stop", `{"type":"message_stop"}`)
}

// json is the usage object of an answer, with output tokens out (a
// stream's message_start says 1; its message_delta gives the total).
func (u Usage) json(out int64) string {
	s := fmt.Sprintf(`{"input_tokens":%d,"output_tokens":%d,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d`, u.Input, out, u.CacheRead, u.CacheWrite)
	if u.CacheWrite5m+u.CacheWrite1h > 0 {
		s += fmt.Sprintf(`,"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d}`, u.CacheWrite5m, u.CacheWrite1h)
	}
	if u.WebSearches > 0 {
		s += fmt.Sprintf(`,"server_tool_use":{"web_search_requests":%d}`, u.WebSearches)
	}
	return s + "}"
}

// ErrorBody is the exact Anthropic-style error body the fake sends; a test
// checks the client gets these bytes unchanged.
func ErrorBody(typ, msg string) string {
	return fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":%s}}`, typ, jsonString(msg))
}

// StatusBody is the body of scenario status:code.
func StatusBody(code int) string {
	return ErrorBody(errorType(code), fmt.Sprintf("fake upstream says %d", code))
}

func errorType(code int) string {
	if typ, ok := map[int]string{400: "invalid_request_error", 403: "permission_error", 429: "rate_limit_error", 529: "overloaded_error"}[code]; ok {
		return typ
	}
	return "api_error"
}

func writeError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, ErrorBody(typ, msg))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
