package server

import (
	"net/http"
	"time"

	"github.com/anthropics/cco/server/analytics"
)

// handleStats answers GET /api/stats?since=&until= (RFC 3339, or a
// duration back from now such as 24h or 7d). The default is the last 24
// hours.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	since, until, err := analytics.ParseRange(r.URL.Query().Get("since"), r.URL.Query().Get("until"), now)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: "+err.Error()))
		return
	}
	st, err := s.store.Stats(r.Context(), since, until)
	if err != nil {
		s.log.Error("reading usage statistics", "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError("api_error", "cco: "+err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, st)
}
