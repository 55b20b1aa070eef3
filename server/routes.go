package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/anthropics/cco/server/dashboard"
	"github.com/anthropics/cco/server/prices"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Probes answer even while draining, and are never tracked.
	mux.Handle("GET /health", s.instrument("/health", http.HandlerFunc(s.handleHealth)))
	// Claude Code's preconnect (a HEAD to its base URL's /api/hello, whose
	// answer it ignores): a fast 200 instead of a 404 in the metrics.
	mux.Handle("HEAD /api/hello", s.instrument("/api/hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.Handle("GET /ready", s.instrument("/ready", http.HandlerFunc(s.handleReady)))
	// Read-only views: same-origin only, and the token too when the daemon
	// listens beyond loopback.
	view := func(route string, h http.HandlerFunc) http.Handler {
		return s.instrument(route, s.sameOrigin(s.tokenUnlessLoopback(s.tracked(h))))
	}
	mux.Handle("GET /api/status", view("/api/status", s.handleStatus))
	// Identity needs no token: it proves the daemon knows it.
	mux.Handle("GET /api/identity", s.instrument("/api/identity", s.sameOrigin(http.HandlerFunc(s.handleIdentity))))
	mux.Handle("GET /api/stats", view("/api/stats", s.handleStats))
	mux.Handle("GET /api/summary", view("/api/summary", s.handleSummary))
	mux.Handle("GET /api/team/stats", view("/api/team/stats", s.handleTeamStats))
	mux.Handle("GET /metrics", view("/metrics", s.metrics.handler().ServeHTTP))
	// Control: always the token.
	control := func(route string, h http.HandlerFunc) http.Handler {
		return s.instrument(route, s.sameOrigin(s.requireToken(s.tracked(h))))
	}
	mux.Handle("POST /api/reload", control("/api/reload", s.handleReload))
	mux.Handle("POST /api/shutdown", control("/api/shutdown", s.handleShutdown))
	// The proxy: the caller's own API key is its credential.
	mux.Handle("/v1/", s.instrument("/v1/", s.sameOrigin(s.tracked(http.HandlerFunc(s.handleProxy)))))
	// The dashboard: a static page whose script reads the views above.
	mux.Handle("GET /{$}", s.instrument("/", dashboard.Page))
	mux.Handle("GET "+dashboard.Prefix, s.instrument(dashboard.Prefix, dashboard.Page))
	return s.guard(mux)
}

// tracked counts a request as in flight so that a drain waits for it.
// Probes are not tracked: they must keep answering while draining.
func (s *Server) tracked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.add()
		defer s.inflight.done()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Health{Status: "ok", Version: s.opts.Version, PID: pid(), UptimeS: int64(s.uptime() / time.Second)})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.draining.Load():
		writeJSON(w, http.StatusServiceUnavailable, Ready{Status: "draining"})
	case !s.ready.Load():
		writeJSON(w, http.StatusServiceUnavailable, Ready{Status: "starting"})
	default:
		writeJSON(w, http.StatusOK, Ready{Status: "ready"})
	}
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	p := cfg.Paths()
	st := Status{
		Version:   s.opts.Version,
		PID:       pid(),
		StartedAt: s.started.UTC(),
		UptimeS:   int64(s.uptime() / time.Second),
		Manager:   s.opts.Manager,
		Listen:    s.ln.Addr().String(),
		URL:       cfg.URL(),
		Ready:     s.ready.Load() && !s.draining.Load(),
		GoVersion: runtime.Version(),
		Paths: map[string]string{
			"home": p.Home, "config": cfg.File, "log": p.Log,
			"database": cfg.DatabasePath(), "pid": p.Pid, "token": p.Token,
		},
		Config:    map[string]ConfigEntry{},
		Cache:     s.cache.stats(),
		Analytics: s.writerStats(),
		Health:    s.healthState(),
		Reload:    s.reloadState(),
		Prices:    PricesInfo{Source: "genai-prices (pydantic), Anthropic provider", Version: prices.Version(), Date: prices.Date()},
		Plan:      s.plans.current(time.Now()),
		Team:      s.teamStatus(),
		InFlight:  int(s.calling.Load()),
	}
	for name, src := range cfg.Sources {
		st.Config[name] = ConfigEntry{Value: cfg.Value(name), Source: string(src)}
	}
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	// Encoded first, so that a value that cannot be encoded is a 500 that
	// says so, not a 200 with an empty body.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	// Messages carry shell commands ("... && cco reload") that people
	// read with curl; the answers are never embedded in HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		b.Reset()
		fmt.Fprintf(&b, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":%q}}\n", "cco: encoding the answer: "+err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}
