package prices

import (
	"fmt"
	"maps"
	"slices"
)

// unit is one entry of the package's unit registry: what a usage field
// counts, what its price is per (a million tokens, a thousand searches),
// and its dimensions, which place it in the hierarchy: a unit whose
// dimensions include another's is a part of it (a cache read is part of
// the input, a 1-hour cache write part of the cache writes).
type unit struct {
	key      string // usage field
	priceKey string
	per      float64
	dims     map[string]string
}

type unitJSON struct {
	Dimensions map[string]string `json:"dimensions"`
	Per        float64           `json:"per"`
	PriceKey   string            `json:"price_key"`
}

// units is the part of the registry the snapshot carries.
type units struct {
	byKey   map[string]*unit
	byPrice map[string]*unit
}

func parseUnits(raw map[string]unitJSON) (*units, error) {
	us := &units{byKey: map[string]*unit{}, byPrice: map[string]*unit{}}
	for _, key := range sortedKeys(raw) {
		j := raw[key]
		if j.Per <= 0 || len(j.Dimensions) == 0 {
			return nil, fmt.Errorf("unit %s: want dimensions and a positive per", key)
		}
		u := &unit{key: key, priceKey: j.PriceKey, per: j.Per, dims: j.Dimensions}
		if u.priceKey == "" {
			u.priceKey = key
		}
		if other, dup := us.byPrice[u.priceKey]; dup {
			return nil, fmt.Errorf("units %s and %s share the price key %s", other.key, key, u.priceKey)
		}
		us.byKey[key], us.byPrice[u.priceKey] = u, u
	}
	return us, nil
}

// reported says whether a usage field is one a caller reports: the
// package counts requests itself (one per call).
func (u *unit) reported() bool { return u.key != "requests" }

// within: every dimension of u is one of v's, with the same value (u is v
// or an ancestor of v).
func (u *unit) within(v *unit) bool {
	for k, val := range u.dims {
		if w, ok := v.dims[k]; !ok || w != val {
			return false
		}
	}
	return true
}

// ancestorOf: v is a strict part of u.
func (u *unit) ancestorOf(v *unit) bool { return u != v && u.within(v) }

// related: one of u and v is, or is part of, the other.
func related(u, v *unit) bool { return u == v || u.within(v) || v.within(u) }

// compatible: no dimension of u and v disagrees, so they may overlap (input
// audio tokens and cache reads overlap in audio cache reads).
func compatible(u, v *unit) bool {
	for k, val := range u.dims {
		if w, ok := v.dims[k]; ok && w != val {
			return false
		}
	}
	return true
}

// join is the unit that is exactly the overlap of u and v, if the
// snapshot has it.
func (us *units) join(u, v *unit) *unit {
	if !compatible(u, v) {
		return nil
	}
	dims := maps.Clone(u.dims)
	maps.Copy(dims, v.dims)
	for _, key := range sortedKeys(us.byKey) {
		if w := us.byKey[key]; maps.Equal(w.dims, dims) {
			return w
		}
	}
	return nil
}

// checkPriced is the package's check of one model's price set: a priced
// unit needs its ancestors priced (or its tokens would be priced nowhere)
// and two priced units that overlap need their overlap priced.
func (us *units) checkPriced(set []*unit) error {
	has := map[string]bool{}
	for _, u := range set {
		has[u.priceKey] = true
	}
	for _, u := range set {
		for _, key := range sortedKeys(us.byKey) {
			if a := us.byKey[key]; a.ancestorOf(u) && !has[a.priceKey] {
				return fmt.Errorf("missing ancestor price key %s for %s", a.priceKey, u.priceKey)
			}
		}
	}
	for i, u := range set {
		for _, v := range set[i+1:] {
			if !compatible(u, v) {
				continue
			}
			j := us.join(u, v)
			if j == nil {
				return fmt.Errorf("missing registered join unit for %s and %s", u.priceKey, v.priceKey)
			}
			if !has[j.priceKey] {
				return fmt.Errorf("missing join price key %s for %s and %s", j.priceKey, u.priceKey, v.priceKey)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := slices.Sorted(maps.Keys(m))
	return out
}
