package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/prices"
)

// spend tallies what the day (local time) and each Claude Code session
// have cost, in memory, so that a budget is checked on the request path
// without a query. It is seeded from the usage database at start.
type spend struct {
	mu       sync.Mutex
	day      string               // the local day the tally is for
	today    cost                 // spent today
	sessions map[string]*sessCost // by session id
	warned   map[string]bool      // budgets already warned about (by day or session)
	// reserved is what the calls admitted and not yet finished are
	// expected to cost at least (their input), by credential kind, today
	// and per session: concurrent calls all admitted against the same
	// spent figure would otherwise overshoot a budget by as many calls.
	reserved     cost
	sessReserved map[string]*cost
}

// cost is spend split by credential kind: subscription calls count
// against a budget only when budget_include_subscription is on.
type cost struct{ apiKey, subscription float64 }

func (c cost) counted(cfg *config.Config) float64 {
	if cfg.BudgetIncludeSubscription {
		return c.apiKey + c.subscription
	}
	return c.apiKey
}

type sessCost struct {
	cost
	last time.Time
}

// maxSessions bounds the sessions tallied: the least recently used go.
const maxSessions = 10000

// entry is m's value for key, made (with m) when there is none.
func entry[V any](m *map[string]*V, key string) *V {
	if *m == nil {
		*m = map[string]*V{}
	}
	v := (*m)[key]
	if v == nil {
		v = new(V)
		(*m)[key] = v
	}
	return v
}

func localDay(t time.Time) string { return t.Local().Format(time.DateOnly) }

// add counts one call's cost.
func (s *spend) add(at time.Time, session, credential string, usd float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollDay(at)
	// A call that began before midnight and ended after it counts for
	// the day it began: not today's.
	if localDay(at) == s.day {
		s.today.add(credential, usd)
	}
	if session == "" {
		return
	}
	if _, ok := s.sessions[session]; !ok && len(s.sessions) >= maxSessions {
		s.evictOldest()
	}
	sc := entry(&s.sessions, session)
	sc.add(credential, usd)
	sc.last = at
}

func (c *cost) add(credential string, usd float64) {
	if credential == analytics.CredentialOAuth {
		c.subscription += usd
	} else {
		c.apiKey += usd
	}
}

// rollDay starts a new day's tally at local midnight; it never goes
// back to an earlier day.
func (s *spend) rollDay(now time.Time) {
	if d := localDay(now); d > s.day {
		s.day, s.today = d, cost{}
		for k := range s.warned {
			if len(k) > 4 && k[:4] == "day:" {
				delete(s.warned, k)
			}
		}
	}
}

func (s *spend) evictOldest() {
	var oldest string
	var at time.Time
	for id, sc := range s.sessions {
		if oldest == "" || sc.last.Before(at) {
			oldest, at = id, sc.last
		}
	}
	delete(s.sessions, oldest)
}

// reserve holds usd against the day's and the session's budgets until
// the call ends (release).
func (s *spend) reserve(session, credential string, usd float64) {
	if usd <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved.add(credential, usd)
	if session == "" {
		return
	}
	entry(&s.sessReserved, session).add(credential, usd)
}

func (s *spend) release(session, credential string, usd float64) {
	if usd <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved.add(credential, -usd)
	if r := s.sessReserved[session]; r != nil {
		r.add(credential, -usd)
		if r.apiKey <= 1e-12 && r.subscription <= 1e-12 {
			delete(s.sessReserved, session)
		}
	}
}

// seed loads today's spend and the recent sessions' from the database.
func (s *spend) seed(ctx context.Context, store *analytics.Store, now time.Time) error {
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	st, err := store.Stats(ctx, midnight, now.Add(time.Minute), analytics.Filter{})
	if err != nil {
		return err
	}
	gs, err := store.Groups(ctx, "session", now.Add(-7*24*time.Hour), now.Add(time.Minute), analytics.Filter{}, analytics.MaxGroups)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.day = localDay(now)
	s.today = cost{apiKey: st.Totals.APIKeyCostUSD, subscription: st.Totals.SubscriptionCostUSD}
	s.sessions = map[string]*sessCost{}
	for _, g := range gs.Groups {
		if g.Key != "" {
			s.sessions[g.Key] = &sessCost{cost: cost{apiKey: g.APIKeyCostUSD, subscription: g.SubscriptionCostUSD}, last: g.Last}
		}
	}
	return nil
}

// Budget is where spending stands against the budgets (GET
// /api/summary, the status line).
type Budget struct {
	DailyUSD     float64 `json:"daily_usd"`     // 0: no daily budget
	DailySpent   float64 `json:"daily_spent"`   // what counts against it today
	SessionUSD   float64 `json:"session_usd"`   // 0: no session budget
	SessionSpent float64 `json:"session_spent"` // for the session asked about
	// Percent is the highest share of a budget spent (0 when none is set).
	Percent float64 `json:"percent"`
	// Reserved is what calls in flight are expected to add to the day's
	// spend (their input, priced); they count against the budgets too.
	Reserved float64 `json:"reserved"`
	// sessionReserved is the same for the session asked about.
	sessionReserved float64
}

// budget is where the day and session stand now.
func (s *spend) budget(cfg *config.Config, session string, now time.Time) Budget {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollDay(now)
	b := Budget{DailyUSD: cfg.BudgetDailyUSD, SessionUSD: cfg.BudgetSessionUSD, DailySpent: s.today.counted(cfg), Reserved: max(s.reserved.counted(cfg), 0)}
	if sc := s.sessions[session]; sc != nil && session != "" {
		b.SessionSpent = sc.counted(cfg)
	}
	if r := s.sessReserved[session]; r != nil && session != "" {
		b.sessionReserved = max(r.counted(cfg), 0)
	}
	if b.DailyUSD > 0 {
		b.Percent = max(b.Percent, 100*b.DailySpent/b.DailyUSD)
	}
	if b.SessionUSD > 0 && session != "" {
		b.Percent = max(b.Percent, 100*b.SessionSpent/b.SessionUSD)
	}
	return b
}

// spends reports the routes whose POSTs cost money: past a budget they
// are refused.
func spends(route string) bool {
	switch route {
	case analytics.MessagesRoute, "/v1/complete", "/v1/messages/batches":
		return true
	}
	return false
}

// reserveFor holds, while a call is answered, the least it will cost:
// its request's tokens (about one per five bytes of JSON) at the model's
// cache-read price, the cheapest an input token can be. Only with a budget
// set: finding the model means parsing the body.
func (s *Server) reserveFor(cfg *config.Config, c *call, body []byte) {
	if cfg.BudgetDailyUSD == 0 && cfg.BudgetSessionUSD == 0 {
		return
	}
	if c.who.credential == analytics.CredentialOAuth && !cfg.BudgetIncludeSubscription {
		return
	}
	v, ok := s.cost(cfg, requestModel(body), prices.Usage{CacheReadInputTokens: int64(len(body) / 5)}, c.start)
	if ok && v > 0 {
		c.reserved = v
		s.spend.reserve(c.who.session, c.who.credential, v)
	}
}

// warnAt is the share of a budget at which answers say so and the log
// warns.
const warnAt = 80

// overBudget is the refusal, in the API's shape, of a call past a budget:
// HTTP 402 with x-should-retry: false, which Claude Code shows at once,
// verbatim, without retrying (429, 500 and 529 it retries for minutes, 400
// it re-sends stripped of features, and it replaces the message of 404,
// 413 and 529 with its own).
func (s *Server) overBudget(w http.ResponseWriter, cfg *config.Config, c *call) bool {
	b := s.spend.budget(cfg, c.who.session, time.Now())
	var msg string
	daily, session := b.DailySpent+b.Reserved, b.SessionSpent+b.sessionReserved
	switch {
	case b.DailyUSD > 0 && daily >= b.DailyUSD:
		msg = fmt.Sprintf("cco: the daily budget of %s is reached (%s spent today%s); raise it with 'cco config set budget_daily_usd %s && cco reload', or wait until midnight",
			dollars(b.DailyUSD), dollars(b.DailySpent), inFlight(b.Reserved), raised(b.DailyUSD, daily))
	case b.SessionUSD > 0 && c.who.session != "" && session >= b.SessionUSD:
		msg = fmt.Sprintf("cco: this session's budget of %s is reached (%s spent in it%s); raise it with 'cco config set budget_session_usd %s && cco reload', or start a new session",
			dollars(b.SessionUSD), dollars(b.SessionSpent), inFlight(b.sessionReserved), raised(b.SessionUSD, session))
	default:
		if b.Percent >= warnAt {
			w.Header().Set("X-Cco-Budget", fmt.Sprintf("%.0f%%", b.Percent))
			s.warnBudget(cfg, c.who.session, b)
		}
		return false
	}
	c.status = http.StatusPaymentRequired
	c.errorType = "billing_error"
	w.Header().Set("X-Should-Retry", "false")
	w.Header().Set("X-Cco-Budget", fmt.Sprintf("%.0f%%", b.Percent))
	writeJSON(w, c.status, apiError("billing_error", msg))
	s.log.Warn("call refused: over budget", "session", c.who.session, "daily_spent", b.DailySpent, "session_spent", b.SessionSpent)
	return true
}

// warnBudget logs once per day (or session) that a budget is nearly spent.
func (s *Server) warnBudget(cfg *config.Config, session string, b Budget) {
	key := "day:" + localDay(time.Now())
	if b.SessionUSD > 0 && b.SessionSpent >= warnAt/100.0*b.SessionUSD {
		key = "session:" + session
	}
	s.spend.mu.Lock()
	if s.spend.warned == nil {
		s.spend.warned = map[string]bool{}
	}
	first := !s.spend.warned[key]
	s.spend.warned[key] = true
	s.spend.mu.Unlock()
	if first {
		s.log.Warn("budget nearly spent", "percent", fmt.Sprintf("%.0f%%", b.Percent), "daily_spent", b.DailySpent, "daily_usd", b.DailyUSD,
			"session", session, "session_spent", b.SessionSpent, "session_usd", b.SessionUSD)
	}
}

func dollars(v float64) string { return config.Dollars(v) }

// raised is a budget to suggest: twice the budget, or more than is spent
// already, in whole cents, as config set takes it.
func raised(budget, spent float64) string {
	return strconv.FormatFloat(math.Ceil(100*max(2*budget, 1.5*spent))/100, 'f', -1, 64)
}

// inFlight mentions what calls in flight are expected to add.
func inFlight(usd float64) string {
	if usd < 0.005 {
		return ""
	}
	return ", " + dollars(usd) + " more in calls being answered"
}

// summary is what the status line needs, from memory.
func (s *Server) summary(session string, now time.Time) Summary {
	cfg := s.Config()
	b := s.spend.budget(cfg, session, now)
	s.spend.mu.Lock()
	out := Summary{Session: session, Budget: b, TodayCost: Spend{s.spend.today.apiKey, s.spend.today.subscription}}
	if sc := s.spend.sessions[session]; sc != nil && session != "" {
		out.SessionCost = Spend{sc.apiKey, sc.subscription}
	}
	s.spend.mu.Unlock()
	out.Plan = s.plans.current(now)
	return out
}

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.summary(bounded(r.URL.Query().Get("session"), maxSessionID), time.Now()))
}
