package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Plan is a subscription plan's usage as the API reports it on every
// answer to an OAuth (Pro/Max) credential, in its
// anthropic-ratelimit-unified-* headers: read for free, with no request
// of cco's own.
type Plan struct {
	Windows             []PlanWindow `json:"windows"`
	Status              string       `json:"status,omitempty"` // allowed, allowed_warning, rejected
	RepresentativeClaim string       `json:"representative_claim,omitempty"`
	SeenAt              time.Time    `json:"seen_at"`
}

// PlanWindow is one window of the plan (5h, 7d, 7d_oi, 7d_sonnet, ...).
type PlanWindow struct {
	Name        string     `json:"name"`
	Utilization float64    `json:"utilization"` // a fraction, 0-1
	ResetsAt    *time.Time `json:"resets_at,omitempty"`
	Status      string     `json:"status,omitempty"`
	// Stale: the window has reset since the API said so; the figure is
	// the last one seen, not the current one.
	Stale bool `json:"stale"`
}

const unifiedPrefix = "Anthropic-Ratelimit-Unified-"

// maxUtilization caps a window's reported use: past 100 % is possible
// (overage), past ten times it is not a figure.
const maxUtilization = 10

// maxResetUnix is 3000-01-01T00:00:00Z.
const maxResetUnix = 32503680000

// maxPlanWindows bounds the windows kept from one answer: header names
// come from the upstream.
const maxPlanWindows = 16

// parsePlan reads the unified rate-limit headers; ok is false when the
// answer has none (an API-key call).
func parsePlan(h http.Header, now time.Time) (Plan, bool) {
	p := Plan{SeenAt: now.UTC()}
	windows := map[string]*PlanWindow{}
	for k, vs := range h {
		rest, ok := strings.CutPrefix(http.CanonicalHeaderKey(k), unifiedPrefix)
		if !ok || len(vs) == 0 {
			continue
		}
		v := strings.TrimSpace(vs[0])
		switch strings.ToLower(rest) {
		case "status":
			p.Status = cleanLabel(v, 32)
			continue
		case "representative-claim":
			p.RepresentativeClaim = cleanLabel(v, 32)
			continue
		}
		i := strings.LastIndexByte(rest, '-')
		if i <= 0 {
			continue
		}
		name, field := strings.ToLower(rest[:i]), strings.ToLower(rest[i+1:])
		w := windows[name]
		if w == nil {
			if len(windows) >= maxPlanWindows {
				continue
			}
			w = &PlanWindow{Name: cleanLabel(name, 32)}
			windows[name] = w
		}
		switch field {
		case "utilization":
			// The figure comes from the upstream: NaN or infinity would
			// make every answer that carries it unencodable as JSON.
			if u, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(u) && !math.IsInf(u, 0) {
				w.Utilization = min(max(u, 0), maxUtilization)
			}
		case "reset":
			// Before the year 3000, or it is no reset time (and one past
			// 9999 could not be encoded).
			if sec, err := strconv.ParseInt(v, 10, 64); err == nil && sec >= 0 && sec < maxResetUnix {
				t := time.Unix(sec, 0).UTC()
				w.ResetsAt = &t
			}
		case "status":
			w.Status = cleanLabel(v, 32)
		}
	}
	for _, w := range windows {
		p.Windows = append(p.Windows, *w)
	}
	slices.SortFunc(p.Windows, func(a, b PlanWindow) int {
		return cmp.Or(cmp.Compare(windowOrder(a.Name), windowOrder(b.Name)), cmp.Compare(a.Name, b.Name))
	})
	return p, len(p.Windows) > 0 || p.Status != ""
}

// windowOrder puts the short window first, as people read them: "5h"
// before "7d" before "7d_sonnet"; names without a duration last.
func windowOrder(name string) int64 {
	n := 0
	for n < len(name) && name[n] >= '0' && name[n] <= '9' {
		n++
	}
	count, err := strconv.ParseInt(name[:n], 10, 64)
	if err != nil || n == len(name) {
		return 1 << 62
	}
	unit := map[byte]int64{'m': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}[name[n]]
	if unit == 0 {
		return 1 << 62
	}
	return count * unit
}

// withStale marks the windows whose reset time has passed.
func (p Plan) withStale(now time.Time) Plan {
	p.Windows = slices.Clone(p.Windows)
	for i := range p.Windows {
		if r := p.Windows[i].ResetsAt; r != nil && !now.Before(*r) {
			p.Windows[i].Stale = true
		}
	}
	return p
}

// planTracker keeps the latest plan per credential (by a hash: never the
// credential itself), and says which is the most recent.
type planTracker struct {
	mu     sync.Mutex
	byCred map[string]Plan
	latest string
	dirty  map[string]bool
}

// credentialHash names a credential without revealing it.
func credentialHash(h http.Header) string {
	cred := h.Get("X-Api-Key")
	if cred == "" {
		cred = h.Get("Authorization")
	}
	if cred == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("cco plan\x00" + cred))
	return hex.EncodeToString(sum[:12])
}

func (t *planTracker) observe(cred string, p Plan) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byCred == nil {
		t.byCred, t.dirty = map[string]Plan{}, map[string]bool{}
	}
	t.byCred[cred], t.latest, t.dirty[cred] = p, cred, true
}

// current is the most recently seen credential's plan.
func (t *planTracker) current(now time.Time) *Plan {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.byCred[t.latest]
	if !ok {
		return nil
	}
	p = p.withStale(now)
	return &p
}

// planStore is where plans survive a restart (the usage database).
type planStore interface {
	SavePlan(ctx context.Context, credential string, seen time.Time, data []byte) error
	LoadPlans(ctx context.Context) (map[string][]byte, error)
}

// load seeds the tracker with the plans saved by an earlier run.
func (t *planTracker) load(ctx context.Context, st planStore) error {
	saved, err := st.LoadPlans(ctx)
	if err != nil {
		return err
	}
	for cred, data := range saved {
		var p Plan
		if json.Unmarshal(data, &p) != nil {
			continue
		}
		t.mu.Lock()
		if t.byCred == nil {
			t.byCred, t.dirty = map[string]Plan{}, map[string]bool{}
		}
		t.byCred[cred] = p
		if cur, ok := t.byCred[t.latest]; !ok || p.SeenAt.After(cur.SeenAt) {
			t.latest = cred
		}
		t.mu.Unlock()
	}
	return nil
}

// save writes the plans that changed since the last save.
func (t *planTracker) save(ctx context.Context, st planStore) error {
	t.mu.Lock()
	pending := map[string]Plan{}
	for cred := range t.dirty {
		pending[cred] = t.byCred[cred]
	}
	clear(t.dirty)
	t.mu.Unlock()
	for cred, p := range pending {
		data, _ := json.Marshal(p)
		if err := st.SavePlan(ctx, cred, p.SeenAt, data); err != nil {
			t.mu.Lock()
			t.dirty[cred] = true
			t.mu.Unlock()
			return err
		}
	}
	return nil
}
