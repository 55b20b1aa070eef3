package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/team"
	"github.com/prometheus/client_golang/prometheus"
)

// teamCloseWait bounds the shipper's last pass at shutdown: rows it could
// not ship in time ship at the next start.
const teamCloseWait = 5 * time.Second

// startTeam starts shipping usage rows to team_url, when it is set. It
// fails only on what the configuration gets wrong: an unreachable
// database is retried in the background while the daemon works as ever.
func (s *Server) startTeam() error {
	cfg := s.Config()
	if cfg.TeamURL == "" {
		return nil
	}
	sh, err := team.New(team.Config{URL: cfg.TeamURL, Machine: cfg.Machine, User: cfg.User}, s.store, s.log)
	if err != nil {
		return err
	}
	s.team = sh
	s.writer.OnCommit(sh.Notify)
	s.log.Info("shipping usage to the team database", "url", sh.Status().URL, "machine", cfg.Machine, "user", cfg.User, "pending", sh.Pending())
	return nil
}

// closeTeam gives the shipper one last pass over what the writer flushed.
func (s *Server) closeTeam() {
	if s.team == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), teamCloseWait)
	defer cancel()
	if err := s.team.Close(ctx); err != nil {
		s.log.Warn("team shipping stopped", "err", err)
	}
}

func (s *Server) teamStatus() *team.Status {
	if s.team == nil {
		return nil
	}
	st := s.team.Status()
	return &st
}

// handleTeamStats is GET /api/team/stats?by=&since=&until=&limit=: the
// team's statistics, read from the team database through the daemon's
// connections (the dashboard's team view).
func (s *Server) handleTeamStats(w http.ResponseWriter, r *http.Request) {
	if s.team == nil {
		writeJSON(w, http.StatusNotFound, apiError("not_found_error", "cco: team_url is not set, so there are no team statistics; set it with 'cco config set team_url postgres://...' and restart"))
		return
	}
	q := r.URL.Query()
	since, until, err := analytics.ParseRange(q.Get("since"), q.Get("until"), time.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: "+err.Error()))
		return
	}
	tq := team.Query{By: q.Get("by"), Since: since, Until: until, Limit: 200}
	if tq.By == "" {
		tq.By = "user"
	}
	if !slices.Contains(team.GroupBys, tq.By) {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: team statistics group by one of user, machine, project, model, day, session"))
		return
	}
	if v := q.Get("limit"); v != "" {
		if tq.Limit, err = strconv.Atoi(v); err != nil || tq.Limit < 1 {
			writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: limit must be a positive whole number"))
			return
		}
	}
	out, err := s.team.Stats(r.Context(), tq)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, apiError("api_error", "cco: "+err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// teamCollector exports the shipper's backlog and failures, when team_url
// is set.
type teamCollector struct{ s *Server }

var (
	teamPending = prometheus.NewDesc("cco_team_pending_rows",
		"Usage rows recorded locally and not yet in the team database.", nil, nil)
	teamShipErrors = prometheus.NewDesc("cco_team_ship_errors_total",
		"Failed attempts to ship usage rows to the team database.", nil, nil)
)

func (c teamCollector) Describe(ch chan<- *prometheus.Desc) { ch <- teamPending; ch <- teamShipErrors }

func (c teamCollector) Collect(ch chan<- prometheus.Metric) {
	sh := c.s.team
	if sh == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(teamPending, prometheus.GaugeValue, float64(sh.Pending()))
	ch <- prometheus.MustNewConstMetric(teamShipErrors, prometheus.CounterValue, float64(sh.ShipErrors()))
}
