// Package prices prices Messages API calls with a snapshot of the
// Anthropic provider of pydantic's genai-prices dataset
// (@pydantic/genai-prices, MIT), following the package's own calcPrice:
// its match rules, its split of a usage into priced parts, its long-context
// tiers and its time-dependent prices. `make prices` writes the snapshot
// (scripts/prices); testdata/golden.json holds the package's own prices
// for a few hundred calls, which the tests hold this package to.
package prices

import (
	_ "embed"
	"time"

	"github.com/anthropics/cco/config"
)

//go:embed anthropic.json
var snapshot []byte

// builtin is read once, at start: the data is part of the binary, so a
// snapshot that does not read is a build that must not ship.
var builtin = func() *Table {
	t, err := parse(snapshot)
	if err == nil {
		err = t.checkOverrides()
	}
	if err != nil {
		panic("prices: the embedded anthropic.json is malformed (rerun make prices): " + err.Error())
	}
	return t
}()

// Builtin is the embedded snapshot.
func Builtin() *Table { return builtin }

// Version is the version of @pydantic/genai-prices the snapshot is of.
func Version() string { return builtin.Version }

// Date is the snapshot's date (YYYY-MM-DD): the package version's publish
// date, the data having none of its own.
func Date() string { return builtin.Date }

// Resolve finds what prices model: a configured override, by the longest
// family that prefixes it, and otherwise the dataset. ok is false when
// nothing does: the call is unpriced, which is not free.
func Resolve(model string, overrides map[string]config.Price) (Model, bool) {
	id := normalize(model)
	if id == "" {
		return Model{}, false
	}
	if family, p, ok := longestFamily(id, overrides); ok {
		return builtin.override(family, p), true
	}
	return builtin.Lookup(id)
}

// Price is the cost of a call in US dollars. ok is false when the call is
// unpriced: no rule or override takes the model, or the usage is one the
// dataset refuses to price (see Model.Cost).
func Price(model string, u Usage, overrides map[string]config.Price, at time.Time) (usd float64, ok bool) {
	m, ok := Resolve(model, overrides)
	if !ok {
		return 0, false
	}
	usd, err := m.Cost(u, at)
	return usd, err == nil
}
