package server

import (
	"time"

	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/team"
)

// The wire types of the daemon's API: the server encodes them and the
// client (package client) decodes them, so both sides agree by
// construction.

// Health is GET /health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	PID     int    `json:"pid"`
	UptimeS int64  `json:"uptime_s"`
}

// Ready is GET /ready (200 when ready, 503 while starting or draining).
type Ready struct {
	Status string `json:"status"` // ready, starting, draining
}

// ConfigEntry is one effective configuration value and where it came from.
type ConfigEntry struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

// Status is GET /api/status.
type Status struct {
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
	Config    map[string]ConfigEntry `json:"config"`
	Cache     CacheStats             `json:"cache"`
	Analytics analytics.WriterStats  `json:"analytics"`
	Health    HealthState            `json:"health"`
	Reload    ReloadState            `json:"reload"`
	Prices    PricesInfo             `json:"prices"`
	// Plan is the subscription plan's usage last reported by the API, for
	// the credential seen last; null until an OAuth call answered.
	Plan *Plan `json:"plan"`
	// Team is the shipping of usage rows to team_url; absent when it is
	// not set.
	Team *team.Status `json:"team,omitempty"`
	// InFlight counts the API calls (under /v1/) being answered now.
	InFlight int `json:"in_flight"`
}

// ReloadResult is what one reload changed (POST /api/reload).
type ReloadResult struct {
	Applied         []string `json:"applied"`
	RestartRequired []string `json:"restart_required"`
}

// ReloadState counts reloads, however they were asked for (SIGHUP, the
// API, a service manager's reload), so that a caller that cannot get an
// answer from its request (a signal carries none) can read it here.
type ReloadState struct {
	Count     int64         `json:"count"`
	LastAt    *time.Time    `json:"last_at,omitempty"`
	Last      *ReloadResult `json:"last,omitempty"`       // the last reload that was applied
	LastError string        `json:"last_error,omitempty"` // the last reload, when it was refused
	// PendingRestart lists keys whose new values wait for a restart.
	PendingRestart []string `json:"pending_restart"`
}

// PricesInfo names the price data cost estimates come from.
type PricesInfo struct {
	Source  string `json:"source"`
	Version string `json:"version"`
	Date    string `json:"date"`
}

// Summary is GET /api/summary?session=ID: what the status line shows,
// answered from memory: the session's and today's spend, the budgets and
// the plan.
type Summary struct {
	Session     string `json:"session,omitempty"`
	SessionCost Spend  `json:"session_cost"`
	TodayCost   Spend  `json:"today_cost"`
	Budget      Budget `json:"budget"`
	Plan        *Plan  `json:"plan"`
}

// Spend is a cost split by credential kind: a subscription's is what the
// same tokens would cost on the API.
type Spend struct {
	APIKeyUSD       float64 `json:"api_key_usd"`
	SubscriptionUSD float64 `json:"subscription_usd"`
}
