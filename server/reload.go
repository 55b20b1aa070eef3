package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// restartKeys take effect only when the daemon starts again.
var restartKeys = []string{"host", "port", "database_url", "team_url", "machine", "user"}

// Reload re-reads the configuration the daemon was started with (same file,
// environment and flags) and applies it without dropping a connection. An
// invalid configuration is refused whole and the old one stays in force.
func (s *Server) Reload() (*ReloadResult, error) {
	if s.opts.LoadConfig == nil {
		return nil, errors.New("this daemon cannot reload its configuration")
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	next, err := s.opts.LoadConfig()
	if err != nil {
		s.log.Warn("configuration reload refused; the old configuration stays in force", "err", err)
		err = fmt.Errorf("reloading the configuration: %w", err)
		s.noteReload(nil, err)
		return nil, err
	}
	old := s.Config()
	res := &ReloadResult{Applied: []string{}, RestartRequired: []string{}}
	for _, k := range old.Changed(next) {
		if slices.Contains(restartKeys, k) {
			res.RestartRequired = append(res.RestartRequired, k)
		} else {
			res.Applied = append(res.Applied, k)
		}
	}
	next = next.Retain(old, restartKeys...)
	s.cfg.Store(next)
	s.cache.setLimits(next.CacheSize, next.CacheTTL)
	applyMemoryLimit(next, s.log)
	if s.opts.ApplyConfig != nil {
		s.opts.ApplyConfig(next)
	}
	s.wakeHealth()
	s.log.Info("configuration reloaded", "applied", res.Applied, "restart_required", res.RestartRequired)
	s.noteReload(res, nil)
	return res, nil
}

// noteReload records a reload's outcome for /api/status.
func (s *Server) noteReload(res *ReloadResult, err error) {
	now := time.Now().UTC()
	s.reloadsMu.Lock()
	defer s.reloadsMu.Unlock()
	s.reloads.Count++
	s.reloads.LastAt = &now
	if err != nil {
		s.reloads.LastError = err.Error()
		return
	}
	s.reloads.Last, s.reloads.LastError = res, ""
	s.reloads.PendingRestart = res.RestartRequired
}

func (s *Server) reloadState() ReloadState {
	s.reloadsMu.Lock()
	defer s.reloadsMu.Unlock()
	st := s.reloads
	if st.PendingRestart == nil {
		st.PendingRestart = []string{}
	}
	return st
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	res, err := s.Reload()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleShutdown(w http.ResponseWriter, r *http.Request) {
	if s.opts.OnShutdown == nil {
		writeJSON(w, http.StatusNotImplemented, apiError("api_error", "cco: this daemon cannot be stopped over HTTP"))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "stopping"})
	s.log.Info("shutdown requested over HTTP", "remote", r.RemoteAddr)
	// After the answer is on its way: the stop drains this very request.
	go s.opts.OnShutdown()
}
