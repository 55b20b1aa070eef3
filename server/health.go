package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// failuresToExit is how many failed self-checks in a row end the process.
const failuresToExit = 3

// HealthState is the last self-check's outcome, as /api/status shows it.
type HealthState struct {
	ChecksEnabled       bool       `json:"checks_enabled"`
	Healthy             bool       `json:"healthy"`
	LastCheck           *time.Time `json:"last_check"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastError           string     `json:"last_error"`
}

func (s *Server) healthState() HealthState {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	h := s.health
	h.ChecksEnabled = s.Config().HealthChecks
	return h
}

// Healthy reports whether the daemon may be considered alive: true while
// the last self-check passed (or while checks are off, or none has run
// yet). The systemd watchdog is fed only while it is true.
func (s *Server) Healthy() bool {
	h := s.healthState()
	return !h.ChecksEnabled || h.ConsecutiveFailures == 0
}

// healthLoop checks the daemon every health_check_interval while
// health_checks is on. Three failures in a row are fatal: OnFatal ends the
// process non-zero so that the service manager starts a fresh one.
func (s *Server) healthLoop(stop <-chan struct{}) {
	for {
		cfg := s.Config()
		t := time.NewTimer(cfg.HealthCheckInterval)
		select {
		case <-stop:
			t.Stop()
			return
		case <-s.healthWake:
			t.Stop()
			continue // settings changed: start a new interval
		case <-t.C:
		}
		if !cfg.HealthChecks {
			// Failures from before checks were turned off do not count
			// towards the limit once they are turned on again.
			s.healthMu.Lock()
			s.health.ConsecutiveFailures, s.health.LastError = 0, ""
			s.healthMu.Unlock()
			continue
		}
		err := s.checkHealth(cfg.HealthCheckInterval)
		if s.recordHealth(err) {
			return
		}
	}
}

// recordHealth notes one check's outcome; it reports whether the failure
// was the last one allowed.
func (s *Server) recordHealth(err error) bool {
	now := time.Now().UTC()
	s.healthMu.Lock()
	s.health.LastCheck = &now
	if err == nil {
		s.health.ConsecutiveFailures, s.health.LastError, s.health.Healthy = 0, "", true
		s.healthMu.Unlock()
		return false
	}
	s.health.ConsecutiveFailures++
	s.health.LastError, s.health.Healthy = err.Error(), false
	n := s.health.ConsecutiveFailures
	s.healthMu.Unlock()
	if n < failuresToExit {
		s.log.Warn("health check failed", "err", err, "consecutive_failures", n)
		return false
	}
	s.log.Error("health check failed three times in a row; exiting so the service manager restarts the daemon", "err", err)
	if s.opts.OnFatal != nil {
		s.opts.OnFatal(fmt.Errorf("health check failed %d times in a row: %w", n, err))
	}
	return true
}

// checkHealth runs every self-check and reports all that failed.
func (s *Server) checkHealth(interval time.Duration) error {
	timeout := min(max(interval, 2*time.Second), 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if err := s.store.CheckWritable(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.checkListener(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.writer.Stuck(max(interval, 10*time.Second)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SelfCheck is what a watchdog waits on: the daemon's own /health
// answered through its listener (a wedged server fails it), then the
// health checks' verdict when they are on.
func (s *Server) SelfCheck(ctx context.Context) error {
	if err := s.checkListener(ctx); err != nil {
		return err
	}
	if !s.Healthy() {
		return errors.New("the daemon's health checks are failing (see 'cco status')")
	}
	return nil
}

// checkListener asks the daemon's own /health over loopback, the way a
// client would reach it.
func (s *Server) checkListener(ctx context.Context) error {
	host := "127.0.0.1"
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		switch {
		case !a.IP.IsUnspecified():
			host = a.IP.String()
		case strings.Contains(s.Config().Host, ":"):
			host = "::1"
		}
	}
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(s.port())) + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := s.selfClient.Do(req)
	if err != nil {
		return fmt.Errorf("the daemon's own listener did not answer %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the daemon's own listener answered %s with status %d", url, resp.StatusCode)
	}
	return nil
}

// wakeHealth restarts the health interval after a reload.
func (s *Server) wakeHealth() {
	select {
	case s.healthWake <- struct{}{}:
	default:
	}
}
