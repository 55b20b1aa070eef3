package prices

import (
	"fmt"
	"strings"

	"github.com/anthropics/cco/config"
)

// longestFamily finds the override for id (normalized): the longest family
// that is id itself or prefixes it at a '-' or '@' boundary
// (claude-sonnet-4 takes claude-sonnet-4-5-20250929 and
// claude-sonnet-4@20250514, not claude-sonnet-45). Families are
// case-insensitive; of two that differ only by case, the first in byte
// order wins, so the choice does not depend on map order.
func longestFamily(id string, overrides map[string]config.Price) (string, config.Price, bool) {
	best, bestLen, found := "", 0, false
	for family := range overrides {
		f := normalize(family)
		if !strings.HasPrefix(id, f) || (len(id) > len(f) && id[len(f)] != '-' && id[len(f)] != '@') {
			continue
		}
		if !found || len(f) > bestLen || (len(f) == bestLen && family < best) {
			best, bestLen, found = family, len(f), true
		}
	}
	return best, overrides[best], found
}

// overrideKeys are the dataset prices an override sets, in the order the
// dataset lists them.
var overrideKeys = []string{"input_mtok", "cache_write_mtok", "cache_read_mtok", "output_mtok", "cache_write_1h_mtok"}

// checkOverrides makes sure the snapshot has the units overrides price,
// and that pricing them alone is a price set calcPrice would accept.
func (t *Table) checkOverrides() error {
	var set []*unit
	for _, key := range overrideKeys {
		u := t.units.byPrice[key]
		if u == nil {
			return fmt.Errorf("overrides need the unit of %s", key)
		}
		set = append(set, u)
	}
	return t.units.checkPriced(set)
}

// override is a model priced by a configured family: flat prices, no
// tiers, no dates, but the dataset's split of the usage, so an override's
// tokens are counted as the dataset counts them (writes without a 5m/1h
// split are 5-minute writes). A 1-hour write price left out is 2x input,
// Anthropic's rule for every model that has one (a test holds the dataset
// to it); cache_read and cache_write left out cost nothing, as they
// always have here. Web searches have no override field, so an override
// prices them at nothing.
func (t *Table) override(family string, p config.Price) Model {
	write1h := 2 * p.Input
	if p.CacheWrite1h != nil {
		write1h = *p.CacheWrite1h
	}
	values := []float64{p.Input, p.CacheWrite, p.CacheRead, p.Output, write1h} // as overrideKeys
	ps := make(priceSet, len(overrideKeys))
	for i, key := range overrideKeys {
		ps[i] = price{unit: t.units.byPrice[key], flat: values[i]}
	}
	return Model{ID: family, Name: `[prices."` + family + `"]`, prices: []conditional{{prices: ps}}, table: t}
}
