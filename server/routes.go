package server

import (
	"encoding/json"
	"net/http"
	"runtime"
	"time"

	"github.com/anthropics/cco/server/dashboard"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Probes answer even while draining, and are never tracked.
	mux.Handle("GET /health", s.instrument("/health", http.HandlerFunc(s.handleHealth)))
	mux.Handle("GET /ready", s.instrument("/ready", http.HandlerFunc(s.handleReady)))
	// Read-only views: same-origin only, and the token too when the daemon
	// listens beyond loopback.
	view := func(route string, h http.HandlerFunc) http.Handler {
		return s.instrument(route, s.sameOrigin(s.tokenUnlessLoopback(s.tracked(h))))
	}
	mux.Handle("GET /api/status", view("/api/status", s.handleStatus))
	mux.Handle("GET /api/stats", view("/api/stats", s.handleStats))
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

type health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	PID     int    `json:"pid"`
	UptimeS int64  `json:"uptime_s"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, health{Status: "ok", Version: s.opts.Version, PID: pid(), UptimeS: int64(s.uptime() / time.Second)})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.draining.Load():
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
	case !s.ready.Load():
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

type configEntry struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

type status struct {
	Version   string                 `json:"version"`
	PID       int                    `json:"pid"`
	StartedAt time.Time              `json:"started_at"`
	UptimeS   int64                  `json:"uptime_s"`
	Manager   string                 `json:"manager"`
	Listen    string                 `json:"listen"`
	URL       string                 `json:"url"`
	Ready     bool                   `json:"ready"`
	GoVersion string                 `json:"go_version"`
	Paths     map[string]string      `json:"paths"`
	Config    map[string]configEntry `json:"config"`
	Cache     CacheStats             `json:"cache"`
	Analytics writerStats            `json:"analytics"`
	Health    HealthState            `json:"health"`
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	cfg := s.Config()
	st := status{
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
			"home": cfg.Home, "config": cfg.File, "log": cfg.LogPath(),
			"database": cfg.DatabasePath(), "pid": cfg.PidPath(), "token": cfg.TokenPath(),
		},
		Config:    map[string]configEntry{},
		Cache:     s.cache.stats(),
		Analytics: s.writerStats(),
		Health:    s.healthState(),
	}
	for name, src := range cfg.Sources {
		st.Config[name] = configEntry{Value: cfg.Value(name), Source: string(src)}
	}
	writeJSON(w, http.StatusOK, st)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
