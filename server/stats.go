package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/anthropics/cco/server/analytics"
)

// handleStats answers GET /api/stats: since and until (RFC 3339, or a
// duration back from now such as 24h or 7d; the last 24 hours by default),
// session or project to narrow to one, and by (model, day, hour, session,
// project, client) for grouped figures, newest first, at most limit.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, until, err := analytics.ParseRange(q.Get("since"), q.Get("until"), time.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: "+err.Error()))
		return
	}
	f := analytics.Filter{Session: q.Get("session"), Project: q.Get("project")}
	var out any
	if by := q.Get("by"); by != "" {
		limit := 200
		if v := q.Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
				writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: limit must be a positive whole number"))
				return
			}
		}
		out, err = s.store.Groups(r.Context(), by, since, until, f, limit)
	} else {
		out, err = s.store.Stats(r.Context(), since, until, f)
	}
	var unknown *analytics.UnknownGroupError
	switch {
	case errors.As(err, &unknown):
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: "+err.Error()))
	case err != nil:
		s.log.Error("reading usage statistics", "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError("api_error", "cco: "+err.Error()))
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
