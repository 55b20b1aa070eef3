package config

import (
	"maps"
	"reflect"
)

// Changed lists the keys whose effective values differ between c and o,
// with "prices" when the price overrides differ.
func (c *Config) Changed(o *Config) []string {
	var out []string
	for _, k := range Keys {
		if c.raw[k.Name] != o.raw[k.Name] {
			out = append(out, k.Name)
		}
	}
	if !reflect.DeepEqual(c.Prices, o.Prices) && (len(c.Prices) > 0 || len(o.Prices) > 0) {
		out = append(out, "prices")
	}
	return out
}

// Retain returns a copy of c in which the named keys keep old's values (and
// sources): a reload uses it for keys that only take effect on restart, so
// that what the daemon reports is what it runs with.
func (c *Config) Retain(old *Config, names ...string) *Config {
	out := *c
	out.Sources = maps.Clone(c.Sources)
	out.raw = maps.Clone(c.raw)
	for _, name := range names {
		k, ok := LookupKey(name)
		if !ok {
			continue
		}
		v, err := k.parse(old.raw[name])
		if err != nil {
			continue // old was valid when loaded; cannot happen
		}
		k.assign(&out, v)
		out.raw[name] = old.raw[name]
		out.Sources[name] = old.Sources[name]
	}
	return &out
}
