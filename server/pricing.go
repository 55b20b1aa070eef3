package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/prices"
)

// priceMemo remembers what prices each model under one configuration (a
// reload brings a new one), so the dataset's rules and the override
// families are searched once per model.
type priceMemo struct {
	cfg *config.Config
	m   sync.Map // model -> pricing
	n   atomic.Int64
}

// maxMemoModels bounds the memo: model names come from clients.
const maxMemoModels = 1000

type pricing struct {
	model prices.Model
	ok    bool
}

// pricer is prices.Resolve through the memo of the configuration in force.
func (s *Server) pricer(cfg *config.Config, model string) (prices.Model, bool) {
	memo := s.prices.Load()
	if memo == nil || memo.cfg != cfg {
		memo = &priceMemo{cfg: cfg}
		s.prices.Store(memo)
	}
	if p, ok := memo.m.Load(model); ok {
		return p.(pricing).model, p.(pricing).ok
	}
	m, ok := prices.Resolve(model, cfg.Prices)
	if memo.n.Add(1) <= maxMemoModels {
		memo.m.Store(model, pricing{m, ok})
	}
	return m, ok
}

// cost is the estimated price of a call in US dollars at the prices in
// force when it started. ok is false when it has no price: a model no
// rule or override takes, or a usage the dataset will not price, which is
// logged, as it means the API reported figures that do not add up.
func (s *Server) cost(cfg *config.Config, model string, u prices.Usage, at time.Time) (float64, bool) {
	m, ok := s.pricer(cfg, model)
	if !ok {
		return 0, false
	}
	v, err := m.Cost(u, at)
	if err != nil {
		s.log.Warn("call left unpriced", "model", model, "err", err)
		return 0, false
	}
	return v, true
}
