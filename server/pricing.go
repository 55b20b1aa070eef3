package server

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/anthropics/cco/config"
)

// PricesAsOf is when builtinPrices was last checked against Anthropic's
// published price list (https://www.anthropic.com/pricing). Prices change:
// override them per family in config.toml ([prices."FAMILY"]).
const PricesAsOf = "2026-05-01"

// builtinPrices are US dollars per million tokens by model family. A model
// id belongs to the longest family that is a prefix of it at a '-' boundary
// (claude-sonnet-4-5-20250929 -> claude-sonnet-4-5). cache_write is the
// 5-minute cache write price (1.25x input), cache_read 0.1x input. Long
// context (>200K input) surcharges of older models are not modelled. Models
// released after PricesAsOf have no price until configured.
var builtinPrices = map[string]config.Price{
	"claude-opus-4-7":   {Input: 5, Output: 25, CacheRead: 0.50, CacheWrite: 6.25},
	"claude-opus-4-6":   {Input: 5, Output: 25, CacheRead: 0.50, CacheWrite: 6.25},
	"claude-sonnet-4-6": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"claude-opus-4-5":   {Input: 5, Output: 25, CacheRead: 0.50, CacheWrite: 6.25},
	"claude-opus-4-1":   {Input: 15, Output: 75, CacheRead: 1.50, CacheWrite: 18.75},
	"claude-opus-4":     {Input: 15, Output: 75, CacheRead: 1.50, CacheWrite: 18.75},
	"claude-sonnet-4-5": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"claude-sonnet-4":   {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"claude-3-7-sonnet": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"claude-3-5-sonnet": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
	"claude-haiku-4-5":  {Input: 1, Output: 5, CacheRead: 0.10, CacheWrite: 1.25},
	"claude-3-5-haiku":  {Input: 0.80, Output: 4, CacheRead: 0.08, CacheWrite: 1},
	"claude-3-opus":     {Input: 15, Output: 75, CacheRead: 1.50, CacheWrite: 18.75},
	"claude-3-haiku":    {Input: 0.25, Output: 1.25, CacheRead: 0.03, CacheWrite: 0.30},
}

// priceMemo remembers each model's price under one configuration (a
// reload brings a new one), so the family search runs once per model.
type priceMemo struct {
	cfg *config.Config
	m   sync.Map // model -> pricing
	n   atomic.Int64
}

// maxMemoModels bounds the memo: model names come from clients.
const maxMemoModels = 1000

type pricing struct {
	price config.Price
	ok    bool
}

// price is priceFor through the memo of the configuration in force.
func (s *Server) price(cfg *config.Config, model string) (config.Price, bool) {
	memo := s.prices.Load()
	if memo == nil || memo.cfg != cfg {
		memo = &priceMemo{cfg: cfg}
		s.prices.Store(memo)
	}
	if p, ok := memo.m.Load(model); ok {
		return p.(pricing).price, p.(pricing).ok
	}
	p, ok := priceFor(model, cfg.Prices)
	if memo.n.Add(1) <= maxMemoModels {
		memo.m.Store(model, pricing{p, ok})
	}
	return p, ok
}

// priceFor finds the price of model: overrides first, then the built-in
// table; ok is false for a model no family matches.
func priceFor(model string, overrides map[string]config.Price) (config.Price, bool) {
	model = strings.ToLower(strings.TrimSpace(model))
	if model == "" {
		return config.Price{}, false
	}
	if p, ok := longestFamily(model, overrides); ok {
		return p, true
	}
	return longestFamily(model, builtinPrices)
}

func longestFamily(model string, table map[string]config.Price) (config.Price, bool) {
	best, found := "", false
	var price config.Price
	for family, p := range table {
		f := strings.ToLower(family)
		if !strings.HasPrefix(model, f) || (len(model) > len(f) && model[len(f)] != '-' && model[len(f)] != '@') {
			continue
		}
		if !found || len(f) > len(best) {
			best, price, found = f, p, true
		}
	}
	return price, found
}

// cost is the estimated price of u in US dollars.
func cost(p config.Price, u usage) float64 {
	return (float64(u.Input)*p.Input + float64(u.Output)*p.Output +
		float64(u.CacheRead)*p.CacheRead + float64(u.CacheCreation)*p.CacheWrite) / 1e6
}
