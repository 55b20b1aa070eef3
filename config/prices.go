package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/viper"
)

// parsePrices reads the optional [prices."family"] tables, each with input,
// output, cache_read, cache_write and cache_write_1h in US dollars per
// million tokens.
func parsePrices(file string, v *viper.Viper) (map[string]Price, []error) {
	raw, ok := v.AllSettings()["prices"].(map[string]any)
	if !ok {
		return nil, nil
	}
	out := map[string]Price{}
	var errs []error
	families := slices.Sorted(maps.Keys(raw))
	const allowed = "input, output, cache_read, cache_write, cache_write_1h: numbers >= 0 (US dollars per million tokens)"
	for _, family := range families {
		t, ok := raw[family].(map[string]any)
		if !ok {
			errs = append(errs, &Error{Where: file, Key: "prices." + family, Msg: "must be a table", Allowed: allowed})
			continue
		}
		var p Price
		for field, val := range t {
			f, ok := toFloat(val)
			key := "prices." + family + "." + field
			if !ok || f < 0 {
				errs = append(errs, &Error{Where: file, Key: key, Msg: fmt.Sprintf("%v is not a number >= 0", val), Allowed: allowed})
				continue
			}
			switch field {
			case "input":
				p.Input = f
			case "output":
				p.Output = f
			case "cache_read":
				p.CacheRead = f
			case "cache_write":
				p.CacheWrite = f
			case "cache_write_1h":
				p.CacheWrite1h = &f
			default:
				errs = append(errs, &Error{Where: file, Key: key, Msg: "unknown field", Allowed: allowed})
			}
		}
		out[family] = p
	}
	return out, errs
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
