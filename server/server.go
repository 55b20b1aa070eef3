// Package server is the CCO server: the HTTP routes a local daemon serves to
// Claude Code and to the people and tools that watch it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/team"
)

// Options are what a Server needs from the program that runs it.
type Options struct {
	Config  *config.Config
	Logger  *slog.Logger
	Version string
	Manager string // detached, foreground, systemd, launchd, windows

	// LoadConfig re-reads the configuration the way it was first read
	// (same file, environment and flags); Reload calls it.
	LoadConfig func() (*config.Config, error)
	// ApplyConfig applies what the server does not own (the log level and
	// format) after a reload.
	ApplyConfig func(*config.Config)
	// OnFatal ends the process non-zero (three failed health checks).
	OnFatal func(error)
	// OnShutdown starts a clean stop (POST /api/shutdown).
	OnShutdown func()
}

// analyticsQueue bounds the usage records waiting for the database.
const analyticsQueue = 10000

// Server serves the daemon's routes on one listener.
type Server struct {
	opts    Options
	cfg     atomic.Pointer[config.Config]
	log     *slog.Logger
	started time.Time
	ln      net.Listener
	http    *http.Server

	client     *http.Client // to the upstream API
	selfClient *http.Client // health checks over loopback
	cache      *responseCache
	flights    flights
	store      *analytics.Store
	writer     *analytics.Writer
	metrics    *metrics
	token      string
	prices     atomic.Pointer[priceMemo]
	plans      planTracker
	spend      spend
	team       *team.Shipper // nil unless team_url is set

	reloadMu   sync.Mutex
	reloadsMu  sync.Mutex
	reloads    ReloadState
	healthMu   sync.Mutex
	health     HealthState
	healthWake chan struct{}
	stop       chan struct{}
	loops      sync.WaitGroup
	loopsMu    sync.Mutex // orders loops.Add (Serve) before loops.Wait (Shutdown)
	stopping   bool

	shutdownOnce sync.Once
	shutdownErr  error

	ready    atomic.Bool
	draining atomic.Bool
	inflight inflight
	proxied  atomic.Uint64 // proxied calls ever begun: what makes a burst
	calling  atomic.Int64  // proxied calls being answered now
	releases atomic.Uint64 // idle memory releases, for /metrics
}

// New builds a server; nothing is bound or opened until Listen.
func New(o Options) *Server {
	s := &Server{opts: o, log: o.Logger, started: time.Now(), healthWake: make(chan struct{}, 1), stop: make(chan struct{})}
	s.cfg.Store(o.Config)
	s.client = newUpstreamClient()
	s.selfClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	s.cache = newResponseCache(o.Config.CacheSize, o.Config.CacheTTL)
	s.health.Healthy = true
	s.metrics = newMetrics(s)
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: a streamed answer may legitimately run for minutes.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 1 << 20,
		ErrorLog:       slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
	}
	return s
}

// Config is the configuration in force (it changes on reload).
func (s *Server) Config() *config.Config { return s.cfg.Load() }

// Listen binds host:port, then prepares everything else that can fail at
// start (the control token, the usage database), so that a daemon that
// starts is one that works. A busy port is reported in one line that names
// the address and what to do about it.
func (s *Server) Listen() error {
	cfg := s.Config()
	applyMemoryLimit(cfg, s.log)
	addr := cfg.Addr()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	if s.token, err = EnsureToken(cfg.TokenPath(), s.log); err != nil {
		ln.Close()
		return err
	}
	if s.store, err = analytics.Open(cfg.DatabasePath()); err != nil {
		ln.Close()
		return fmt.Errorf("%w; fix or move the file, or choose another with database_url", err)
	}
	if s.store.MovedAside != "" {
		s.log.Warn("the usage database was damaged or not a database; moved it aside and started a new one",
			"path", cfg.DatabasePath(), "moved_to", s.store.MovedAside)
	}
	if err := s.spend.seed(context.Background(), s.store, time.Now()); err != nil {
		s.log.Warn("reading today's spend from the usage database; budgets count from now", "err", err)
	}
	if err := s.plans.load(context.Background(), s.store); err != nil {
		s.log.Warn("the plan's usage saved by the last run is unreadable; it shows again from the next answer", "err", err)
	}
	s.writer = analytics.NewWriter(s.store, s.log, analyticsQueue)
	if err := s.startTeam(); err != nil {
		s.writer.Close(context.Background())
		s.store.Close()
		ln.Close()
		return err
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful when port 0 was asked for in tests).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers requests until Shutdown; it marks the server ready first.
func (s *Server) Serve() error {
	// A stop that came first (a signal during start-up) finds no loops
	// to wait for, so none may start after it.
	s.loopsMu.Lock()
	if s.stopping {
		s.loopsMu.Unlock()
		return nil
	}
	s.loops.Add(3)
	s.loopsMu.Unlock()
	go func() { defer s.loops.Done(); s.healthLoop(s.stop) }()
	go func() { defer s.loops.Done(); s.janitor(s.stop) }()
	go func() { defer s.loops.Done(); s.memoryLoop(s.stop) }()
	s.ready.Store(true)
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// janitor drops expired cache entries so they stop holding memory, and
// saves the plan's usage when it changed.
func (s *Server) janitor(stop <-chan struct{}) {
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	save := time.NewTicker(5 * time.Second)
	defer save.Stop()
	for {
		select {
		case <-stop:
			return
		case <-sweep.C:
			s.cache.sweep()
		case <-save.C:
			s.savePlans()
		}
	}
}

func (s *Server) savePlans() {
	if err := s.plans.save(context.Background(), s.store); err != nil {
		s.log.Warn("saving the plan's usage", "err", err)
	}
}

// Shutdown drains: /ready turns 503 at once, requests in flight may finish
// while the listener still answers probes, then the server closes and every
// queued usage record is written. The context bounds the whole drain.
// Calling it again returns the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

// cutGrace is how long the handlers of calls cut at the drain's end have
// to record them.
const cutGrace = 2 * time.Second

func (s *Server) shutdown(ctx context.Context) error {
	s.ready.Store(false)
	s.draining.Store(true)
	cut := false
	select {
	case <-s.inflight.idle():
	case <-ctx.Done():
		cut = true
		s.log.Warn("shutdown timeout reached with requests still in flight; closing them")
	}
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		s.http.Close()
		// Running out of the drain's time is what the timeout is for:
		// the calls are cut and recorded, and the stop is still clean.
		if ctx.Err() == nil {
			errs = append(errs, fmt.Errorf("closing the HTTP server: %w", err))
		}
		cut = true
	}
	if cut {
		// The cut calls' handlers record what the API had reported; give
		// them a moment to do so before the records are flushed.
		select {
		case <-s.inflight.idle():
		case <-time.After(cutGrace):
			s.log.Warn("calls still running after they were cut; their usage may not be recorded", "grace", cutGrace)
		}
	}
	s.loopsMu.Lock()
	s.stopping = true
	s.loopsMu.Unlock()
	close(s.stop)
	s.loops.Wait()
	if s.store != nil {
		s.savePlans()
	}
	if s.writer != nil {
		// Rows must not be lost on a clean stop, even after a slow drain.
		flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.writer.Close(flushCtx); err != nil {
			errs = append(errs, err)
		}
		st := s.writer.Stats()
		s.log.Info("usage records flushed", "written", st.Written, "write_errors", st.WriteErrors)
	}
	s.closeTeam()
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the usage database: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) uptime() time.Duration { return time.Since(s.started) }

func pid() int { return os.Getpid() }
