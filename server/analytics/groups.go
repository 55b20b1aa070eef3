package analytics

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The kinds of credential a call is recorded with: never the credential
// itself, only whether it was an API key or a subscription's OAuth token.
const (
	CredentialAPIKey = "api_key"
	CredentialOAuth  = "oauth"
)

// GroupStats is GET /api/stats?by=...: the calls summed by one dimension,
// newest first.
type GroupStats struct {
	By      string    `json:"by"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Session string    `json:"session,omitempty"`
	Project string    `json:"project,omitempty"`
	Groups  []Group   `json:"groups"`
	More    int       `json:"more"` // groups left out past the limit (the oldest)
}

// Group is one line of grouped statistics. A subscription's dollars are
// what the same tokens would cost on the API: they are totalled apart
// (subscription_cost_usd). Its cost is null when no call could be priced.
type Group struct {
	Key                 string    `json:"key"`
	Requests            int64     `json:"requests"`
	Errors              int64     `json:"errors"`
	Interrupted         int64     `json:"interrupted"`
	CacheHits           int64     `json:"cache_hits"`
	InputTokens         int64     `json:"input_tokens"`
	OutputTokens        int64     `json:"output_tokens"`
	CacheReadTokens     int64     `json:"cache_read_tokens"`
	CacheCreationTokens int64     `json:"cache_creation_tokens"`
	CostUSD             *float64  `json:"cost_usd"`
	APIKeyCostUSD       float64   `json:"api_key_cost_usd"`
	SubscriptionCostUSD float64   `json:"subscription_cost_usd"`
	UnpricedRequests    int64     `json:"unpriced_requests"`
	First               time.Time `json:"first"`
	Last                time.Time `json:"last"`
}

// GroupBys are the dimensions statistics can be grouped by.
var GroupBys = []string{"model", "day", "hour", "session", "project", "client"}

// groupKey is the group a bucket belongs to; ok is false for buckets the
// dimension leaves out (the model of a call that is not a Messages call).
var groupKey = map[string]func(bucketKey) (string, bool){
	"model":   func(k bucketKey) (string, bool) { return k.model, isMessages(k.route) },
	"session": func(k bucketKey) (string, bool) { return k.session, true },
	"project": func(k bucketKey) (string, bool) { return k.project, true },
	"client":  func(k bucketKey) (string, bool) { return k.client, true },
	"day": func(k bucketKey) (string, bool) {
		return time.UnixMilli(floorDiv(k.hour, 24) * 24 * hourMs).UTC().Format(time.DateOnly), true
	},
	"hour": func(k bucketKey) (string, bool) {
		return time.UnixMilli(k.hour * hourMs).UTC().Format("2006-01-02T15:00Z"), true
	},
}

// UnknownGroupError is a by that is none of GroupBys.
type UnknownGroupError struct{ By string }

func (e *UnknownGroupError) Error() string {
	return fmt.Sprintf("cannot group by %q; use one of %s", e.By, strings.Join(GroupBys, ", "))
}

// MaxGroups bounds the groups returned: the newest are kept.
const MaxGroups = 1000

// Groups sums the calls with since <= time < until by one dimension
// (GroupBys), newest group first, at most limit (1..MaxGroups) of them.
func (s *Store) Groups(ctx context.Context, by string, since, until time.Time, f Filter, limit int) (*GroupStats, error) {
	key, ok := groupKey[by]
	if !ok {
		return nil, &UnknownGroupError{By: by}
	}
	limit = min(max(limit, 1), MaxGroups)
	gs := &GroupStats{By: by, Since: since.UTC(), Until: until.UTC(), Session: f.Session, Project: f.Project, Groups: []Group{}}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	defer tx.Rollback()
	totals := map[string]*groupSums{}
	err = s.buckets(ctx, tx, since.UnixMilli(), until.UnixMilli(), f, func(k bucketKey, b *sums) {
		name, ok := key(k)
		if !ok {
			return
		}
		g := totals[name]
		if g == nil {
			g = &groupSums{}
			totals[name] = g
		}
		g.sums.add(b)
		if k.credential == CredentialOAuth {
			g.subscription += b.cost
		}
	})
	if err != nil {
		return nil, fmt.Errorf("reading usage: %w", err)
	}
	for name, g := range totals {
		gs.Groups = append(gs.Groups, g.group(name))
	}
	slices.SortFunc(gs.Groups, func(a, b Group) int {
		return cmp.Or(b.Last.Compare(a.Last), cmp.Compare(a.Key, b.Key))
	})
	if len(gs.Groups) > limit {
		gs.More = len(gs.Groups) - limit
		gs.Groups = gs.Groups[:limit]
	}
	return gs, nil
}

type groupSums struct {
	sums         sums
	subscription float64
}

func (g *groupSums) group(key string) Group {
	s := g.sums
	out := Group{
		Key: key, Requests: s.requests, Errors: s.errors, Interrupted: s.interrupted, CacheHits: s.hits,
		InputTokens: s.input, OutputTokens: s.output, CacheReadTokens: s.cacheRead, CacheCreationTokens: s.cacheCreation,
		APIKeyCostUSD: s.cost - g.subscription, SubscriptionCostUSD: g.subscription, UnpricedRequests: s.unpriced,
		First: time.UnixMilli(s.first).UTC(), Last: time.UnixMilli(s.last).UTC(),
	}
	if s.requests > s.unpriced || s.cost != 0 {
		c := s.cost
		out.CostUSD = &c
	}
	return out
}
