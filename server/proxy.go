package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/prices"
)

// call is what the proxy learns about one request, for analytics, metrics
// and the log. It never holds a key, a prompt or a completion.
type call struct {
	start  time.Time
	path   string
	route  string // the path's route (proxyRoute), a bounded label
	model  string
	status int
	stream bool
	cache  string // hit, miss or bypass
	ttfb   time.Duration
	usage  prices.Usage
	who    attribution
	shared bool // answered by another request's upstream call
	abort  bool // the answer was cut short: break the connection
	// interrupted: the client went away before the answer ended; usage
	// holds what the upstream reported by then, which the API bills.
	interrupted bool
	errorType   string  // the error event's type, for a stream that carried one
	reserved    float64 // held against the budgets until the call ends
}

// bodyReadTimeout bounds reading a request's body: ample for the largest
// body max_body_size allows on a slow link, short of holding a connection
// for ever.
var bodyReadTimeout = 2 * time.Minute // a var for tests

// handleProxy forwards /v1/* to upstream_url.
func (s *Server) handleProxy(w http.ResponseWriter, r *http.Request) {
	s.proxied.Add(1)
	s.calling.Add(1)
	defer s.calling.Add(-1)
	c := &call{start: time.Now(), path: r.URL.Path, route: proxyRoute(r.URL.Path), cache: "bypass", who: attribute(r.Header)}
	defer func() {
		s.finishCall(c)
		if c.abort {
			// Tell the client the answer is incomplete rather than end
			// it cleanly.
			panic(http.ErrAbortHandler)
		}
	}()
	cfg := s.Config()
	tooLarge := func() {
		c.status = http.StatusRequestEntityTooLarge
		writeJSON(w, c.status, apiError("request_too_large", fmt.Sprintf(
			"cco: the request body is larger than max_body_size (%s); raise it with 'cco config set max_body_size SIZE'", config.FormatSize(cfg.MaxBodySize))))
	}
	if r.ContentLength > cfg.MaxBodySize {
		// Refused before a byte of it is read (and without a 100
		// Continue), rather than after the client has sent it all.
		tooLarge()
		return
	}
	// A client that declares a body and never sends it must not hold a
	// connection (and a call in flight) for ever.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxBodySize))
	if err != nil {
		// The deadline stays: the server would otherwise wait for the
		// rest of the body before it answers, on a connection it then
		// closes.
		w.Header().Set("Connection", "close")
		var over *http.MaxBytesError
		var nerr net.Error
		switch {
		case errors.As(err, &over):
			tooLarge()
		case errors.As(err, &nerr) && nerr.Timeout():
			c.status = http.StatusRequestTimeout
			writeJSON(w, c.status, apiError("request_timeout", fmt.Sprintf(
				"cco: the request body did not arrive within %s", bodyReadTimeout)))
		default:
			c.status = statusClientClosed
		}
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	// The answer names its model; the request's is read only when it does
	// not (an error, say), since parsing a large body costs time. Only
	// Messages calls have a model: count_tokens names one, but costs
	// nothing and must not count as a call of it.
	defer func() {
		if c.route != analytics.MessagesRoute {
			c.model = ""
		} else if c.model == "" && (strings.Contains(r.Header.Get("Content-Type"), "json") || bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))) {
			c.model = requestModel(body)
		}
	}()
	if r.Method == http.MethodPost && spends(c.route) {
		if s.overBudget(w, cfg, c) {
			return
		}
		s.reserveFor(cfg, c, body)
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/v1/messages":
		s.serveDirect(w, r, cfg, body, c, "")
	case noCache(r.Header):
		key := ""
		if !strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-store") {
			key = cacheKey(r, body) // no-cache: refresh the stored answer
		}
		s.serveDirect(w, r, cfg, body, c, key)
	default:
		s.serveCached(w, r, cfg, body, c)
	}
}

// noCache reports a client asking not to be answered from the cache.
func noCache(h http.Header) bool {
	cc := strings.ToLower(strings.Join(h.Values("Cache-Control"), ","))
	return strings.Contains(cc, "no-cache") || strings.Contains(cc, "no-store") ||
		strings.Contains(strings.ToLower(h.Get("Pragma")), "no-cache")
}

// serveCached answers from the cache, or from the one upstream call that
// identical requests share.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, cfg *config.Config, body []byte, c *call) {
	key := cacheKey(r, body)
	if resp, ok := s.cache.get(key); ok {
		s.cache.count(true)
		c.cache, c.shared = "hit", true
		s.replay(w, r, resp, c)
		return
	}
	f, leader := s.flights.join(key)
	defer s.flights.leave(f)
	if leader {
		if resp, ok := s.cache.get(key); ok {
			// Another flight stored this answer between the lookup and
			// the join: serve it to everyone on this flight.
			go s.feedFlight(f, resp)
			s.follow(w, r, f, false, c)
			return
		}
		req, err := upstreamRequest(f.ctx, cfg.UpstreamURL, r, body)
		if err != nil {
			s.flights.forget(f)
			f.finish(fetched{err: err})
		} else {
			go s.runFlight(f, req, c.start)
		}
	}
	s.follow(w, r, f, leader, c)
}

// follow writes a flight's answer to w as it arrives.
func (s *Server) follow(w http.ResponseWriter, r *http.Request, f *flight, leader bool, c *call) {
	rc := http.NewResponseController(w)
	sent, wrote := 0, false
	for {
		f.mu.Lock()
		ch, started, done, res := f.changed, f.started, f.done, f.res
		status, header, stream, body := f.status, f.header, f.stream, f.buf
		f.mu.Unlock()

		if !wrote && done && !started {
			code, e, ok := upstreamError(r.Context(), s.Config().UpstreamURL, res.err)
			c.status, c.cache = code, "miss"
			if ok {
				writeJSON(w, code, e)
			}
			s.cache.count(false)
			return
		}
		if !wrote && started {
			c.cache, c.shared = "miss", !leader
			if !leader && status >= 200 && status <= 299 {
				c.cache = "hit"
			}
			s.cache.count(c.cache == "hit")
			copyHeaders(w.Header(), header)
			w.Header().Set("X-Cco-Cache", c.cache)
			w.WriteHeader(status)
			c.status, c.stream, c.ttfb, wrote = status, stream, time.Since(c.start), true
		}
		if wrote && len(body) > sent {
			if _, err := w.Write(body[sent:]); err != nil {
				c.status = statusClientClosed
				return
			}
			sent = len(body)
			_ = rc.Flush()
		}
		if done {
			c.model, c.usage, c.errorType = pick(res.meter.model, c.model), res.meter.usage, res.meter.errorType
			if !res.complete {
				c.abort = true
			}
			return
		}
		select {
		case <-ch:
		case <-r.Context().Done():
			f.mu.Lock()
			live := f.live
			f.mu.Unlock()
			// A client that hangs up once it has the whole answer (every
			// byte of a declared length, or a stream's message_stop) got
			// it: the call is complete, and the fetch's own end, a moment
			// later, has its usage.
			if wrote && (live.complete || (!stream && declaredLength(header) == int64(sent))) {
				if res, ok := f.waitDone(answeredWait); ok {
					c.model, c.usage, c.errorType = pick(res.meter.model, c.model), res.meter.usage, res.meter.errorType
					return
				}
			}
			// What the upstream reported so far is billed: keep it.
			c.status, c.interrupted = statusClientClosed, true
			c.model, c.usage, c.errorType = pick(live.model, c.model), live.usage, live.errorType
			return
		}
	}
}

// answeredWait bounds the wait for a fetch whose answer the client has
// already received in full.
const answeredWait = 2 * time.Second

// declaredLength is an answer's Content-Length, -1 when it has none.
func declaredLength(h http.Header) int64 {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// serveDirect forwards a request that does not use the cache's answers;
// when storeKey is set a complete successful answer is stored under it.
func (s *Server) serveDirect(w http.ResponseWriter, r *http.Request, cfg *config.Config, body []byte, c *call, storeKey string) {
	req, err := upstreamRequest(r.Context(), cfg.UpstreamURL, r, body)
	if err != nil {
		c.status = http.StatusBadGateway
		writeJSON(w, c.status, apiError("api_error", "cco: "+err.Error()))
		return
	}
	ws := &writerSink{w: w, rc: http.NewResponseController(w), keep: storeKey != ""}
	res := s.fetch(req, c.start, ws)
	if res.err != nil {
		code, e, ok := upstreamError(r.Context(), cfg.UpstreamURL, res.err)
		c.status = code
		if ok {
			writeJSON(w, code, e)
		}
		return
	}
	c.status, c.stream, c.ttfb = res.status, res.stream, res.ttfb
	c.model, c.usage, c.errorType = pick(res.meter.model, c.model), res.meter.usage, res.meter.errorType
	if ws.failed || (!res.complete && r.Context().Err() != nil) {
		c.status, c.interrupted = statusClientClosed, true
	}
	if !res.complete {
		c.abort = !ws.failed
		return
	}
	if storeKey != "" && cacheable(res) && !ws.overflow {
		s.cache.put(storeKey, &cachedResponse{status: res.status, header: storable(ws.header), body: exact(ws.kept), stream: res.stream, model: res.meter.model, usage: res.meter.usage})
	}
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// writerSink writes an upstream answer straight to the client, flushing
// after every event or piece, and keeps a copy when it is to be stored.
type writerSink struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	keep     bool
	header   http.Header
	kept     []byte
	overflow bool
	failed   bool // the client went away
}

func (ws *writerSink) start(status int, h http.Header, stream bool, size int64) {
	if ws.keep && size > 0 && size <= maxMeteredBody {
		ws.kept = make([]byte, 0, size)
	}
	copyHeaders(ws.w.Header(), h)
	ws.w.Header().Set("X-Cco-Cache", "bypass")
	if ws.keep {
		ws.header = http.Header{}
		copyHeaders(ws.header, h)
	}
	ws.w.WriteHeader(status)
}

func (ws *writerSink) body() []byte {
	if !ws.keep || ws.overflow {
		return nil
	}
	if ws.kept == nil {
		return []byte{}
	}
	return ws.kept
}

func (ws *writerSink) chunk(p []byte) {
	if ws.keep && !ws.overflow {
		if len(ws.kept)+len(p) > maxMeteredBody {
			ws.overflow, ws.kept = true, nil
		} else {
			ws.kept = append(ws.kept, p...)
		}
	}
	if ws.failed {
		return
	}
	if _, err := ws.w.Write(p); err != nil {
		ws.failed = true
		return
	}
	_ = ws.rc.Flush()
}

// replay writes a stored answer: a stream again event by event.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, resp *cachedResponse, c *call) {
	resp.header.writeTo(w.Header())
	w.Header().Set("X-Cco-Cache", "hit")
	c.status, c.stream, c.model, c.usage = resp.status, resp.stream, pick(resp.model, c.model), resp.usage
	if !resp.stream {
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
		w.WriteHeader(resp.status)
		c.ttfb = time.Since(c.start)
		_, _ = w.Write(resp.body)
		return
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(resp.status)
	c.ttfb = time.Since(c.start)
	rc := http.NewResponseController(w)
	rd := newSSEReader(bytes.NewReader(resp.body))
	for {
		ev, err := rd.Next()
		if len(ev) > 0 {
			if _, werr := w.Write(ev); werr != nil {
				c.status = statusClientClosed
				return
			}
			_ = rc.Flush()
		}
		if err != nil || r.Context().Err() != nil {
			return
		}
	}
}
