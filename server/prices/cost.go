package prices

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// price is one priced unit of a model: a flat price per unit.per, or a
// tiered one.
type price struct {
	unit  *unit
	flat  float64
	tiers *tiered
}

// tiered prices by the request's total input tokens (cached ones
// included): base, or the price of the last tier whose start the total
// exceeds. The same total picks the tier of every unit, output included.
type tiered struct {
	base  float64
	tiers []tier // by start, ascending
}

type tier struct {
	start int64
	price float64
}

// priceSet is one ModelPrice of the dataset, in its order.
type priceSet []price

// cost is the package's calcPrice arithmetic on an extracted usage.
func (ps priceSet) cost(us *units, usage map[string]float64) (float64, error) {
	c := calc{units: us, usage: usage}
	var inputTotal float64
	var leaves []*unit
	tiers := false
	for _, p := range ps {
		tiers = tiers || p.tiers != nil
		if p.unit.reported() {
			leaves = append(leaves, p.unit)
		}
	}
	if tiers {
		v, err := c.value(us.byKey["input_tokens"])
		if err != nil {
			return 0, err
		}
		inputTotal = v
	}
	counts, err := c.leaves(leaves)
	if err != nil {
		return 0, err
	}
	var in, out, other float64
	for _, p := range ps {
		n := counts[p.unit.key]
		if !p.unit.reported() {
			n = 1
		}
		v := p.amount(n, inputTotal)
		switch p.unit.dims["direction"] {
		case "input":
			in += v
		case "output":
			out += v
		default:
			other += v
		}
	}
	return in + out + other, nil
}

// amount keeps the package's order of operations, so that the figures
// agree to the last bit where they can.
func (p price) amount(n, inputTotal float64) float64 {
	if p.tiers == nil {
		return p.flat * n / p.unit.per
	}
	if n <= 0 {
		return 0
	}
	rate := p.tiers.base
	for _, t := range p.tiers.tiers {
		if inputTotal > float64(t.start) {
			rate = t.price
		}
	}
	return rate * n / 1e6 * 1e6 / p.unit.per
}

// calc decomposes a usage into the priced units: each priced unit gets
// its count less what its priced descendants take (input tokens less
// cache reads and cache writes; cache writes less 1-hour writes), so no
// token is priced twice and none is missed.
type calc struct {
	units *units
	usage map[string]float64
}

// leaves is the package's decomposition: the most specific units first,
// so a unit's descendants are known when it is reached. Ties go by byte
// order where the package uses localeCompare; that changes only the order
// in which whole token counts are added, which is exact.
func (c calc) leaves(set []*unit) (map[string]float64, error) {
	order := append([]*unit(nil), set...)
	sort.SliceStable(order, func(i, j int) bool {
		if len(order[i].dims) != len(order[j].dims) {
			return len(order[i].dims) > len(order[j].dims)
		}
		return order[i].key < order[j].key
	})
	out := map[string]float64{}
	for _, n := range order {
		s, err := c.value(n)
		if err != nil {
			return nil, err
		}
		var m float64
		for _, p := range order {
			if p != n && n.within(p) {
				m += out[p.key]
			}
		}
		r := s - m
		// The package forgives a shortfall that is rounding, not data.
		eps := math.Pow(2, -52) * math.Max(1, math.Max(math.Abs(s), math.Abs(m))) * float64(len(order)+1)
		if r < 0 && -r <= eps {
			r = 0
		}
		if r < 0 {
			return nil, fmt.Errorf("invalid usage: the parts of %s (%v) exceed it (%v)", n.key, m, s)
		}
		out[n.key] = r
	}
	return out, nil
}

// value is a unit's count in the usage. An absent unit counts zero, unless
// the usage reports a positive part of it, or two positive overlapping
// units that it is exactly the overlap of: then the usage is refused, as
// calcPrice refuses it, since its total is unknown.
func (c calc) value(u *unit) (float64, error) {
	if v, ok := c.usage[u.key]; ok {
		return v, nil
	}
	var positive []*unit
	for _, key := range sortedKeys(c.usage) {
		r := c.units.byKey[key]
		if r == nil || !r.reported() || c.usage[key] <= 0 {
			continue
		}
		if u.ancestorOf(r) {
			return 0, fmt.Errorf("invalid usage: no %s, but a positive %s, which is part of it", u.key, key)
		}
		positive = append(positive, r)
	}
	for i, a := range positive {
		for _, b := range positive[i+1:] {
			if compatible(a, b) && !related(a, b) && c.units.join(a, b) == u {
				return 0, fmt.Errorf("invalid usage: no %s, but positive %s and %s overlap in it", u.key, a.key, b.key)
			}
		}
	}
	return 0, nil
}

// conditional is one of a model's time-dependent prices.
type conditional struct {
	constraint *constraint // nil: unconditional
	prices     priceSet
}

// constraint: from a day on (start_date), or within a daily window of UTC
// time (time_of_date, wrapping past midnight when it ends before it
// starts; a window that ends where it starts is never open).
type constraint struct {
	startDate  time.Time
	timeOfDay  bool
	start, end float64 // seconds into the UTC day
}

// pricesAt is the package's choice among time-dependent prices: the last
// one that applies at t, counting from the end; an unconditional one
// always applies; failing all, the first.
func pricesAt(cs []conditional, t time.Time) priceSet {
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i].constraint
		if c == nil {
			return cs[i].prices
		}
		if !c.timeOfDay {
			if !t.Before(c.startDate) {
				return cs[i].prices
			}
			continue
		}
		u := t.UTC()
		// Milliseconds, as a JavaScript Date has them.
		now := float64(u.Hour()*3600+u.Minute()*60+u.Second()) + float64(u.Nanosecond()/1e6)/1000
		if c.end < c.start {
			if now >= c.start || now < c.end {
				return cs[i].prices
			}
		} else if now >= c.start && now < c.end {
			return cs[i].prices
		}
	}
	return cs[0].prices
}
