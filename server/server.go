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
	"syscall"
	"time"

	"github.com/anthropics/cco/config"
)

// Options are what a Server needs from the program that runs it.
type Options struct {
	Config  *config.Config
	Logger  *slog.Logger
	Version string
	Manager string // detached, foreground, systemd, launchd, windows
}

// Server serves the daemon's routes on one listener.
type Server struct {
	opts    Options
	cfg     atomic.Pointer[config.Config]
	log     *slog.Logger
	started time.Time
	ln      net.Listener
	http    *http.Server

	ready    atomic.Bool
	draining atomic.Bool
	inflight sync.WaitGroup
}

// New builds a server; nothing is bound until Listen.
func New(o Options) *Server {
	s := &Server{opts: o, log: o.Logger, started: time.Now()}
	s.cfg.Store(o.Config)
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

// Listen binds host:port. A busy port is reported in one line that names
// the address and what to do about it.
func (s *Server) Listen() error {
	addr := s.Config().Addr()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listening on %s: the address is already in use (is cco already running? try 'cco status'), or choose another port with --port", addr)
		}
		if errors.Is(err, syscall.EACCES) {
			return fmt.Errorf("listening on %s: permission denied (ports below 1024 need privileges); choose another port with --port", addr)
		}
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful when port 0 was asked for in tests).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers requests until Shutdown; it marks the server ready first.
func (s *Server) Serve() error {
	s.ready.Store(true)
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown drains: /ready turns 503 at once, requests in flight may finish
// while the listener still answers probes, then the server closes. The
// context bounds the whole drain.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	s.draining.Store(true)
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("shutdown timeout reached with requests still in flight; closing them")
	}
	if err := s.http.Shutdown(ctx); err != nil {
		s.http.Close()
		return fmt.Errorf("closing the HTTP server: %w", err)
	}
	return nil
}

func (s *Server) uptime() time.Duration { return time.Since(s.started) }

func pid() int { return os.Getpid() }
