package prices

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMalformedSnapshot: each way the data can be wrong is refused when
// read, rather than priced wrong later.
func TestMalformedSnapshot(t *testing.T) {
	_, err := parse(snapshot)
	require.NoError(t, err)
	for name, edit := range map[string]func(s map[string]any){
		"no version":          func(s map[string]any) { s["version"] = "" },
		"regex that fails":    func(s map[string]any) { model(s, 0)["match"] = map[string]any{"regex": "(claude"} },
		"unknown operator":    func(s map[string]any) { model(s, 0)["match"] = map[string]any{"sounds_like": "claude"} },
		"unknown price":       func(s map[string]any) { prices(s, 1)["input_ktok"] = 1.0 },
		"missing ancestor":    func(s map[string]any) { delete(prices(s, 1), "cache_write_mtok") },
		"null price":          func(s map[string]any) { prices(s, 1)["input_mtok"] = nil },
		"negative price":      func(s map[string]any) { prices(s, 1)["input_mtok"] = -1.0 },
		"negative tier start": func(s map[string]any) { prices(s, 1)["input_mtok"] = tiers(-1) },
		"fractional tier":     func(s map[string]any) { prices(s, 1)["input_mtok"] = tiers(0.5) },
		"unknown constraint": func(s map[string]any) {
			model(s, 1)["prices"] = []any{map[string]any{"prices": prices(s, 1)},
				map[string]any{"prices": prices(s, 1), "constraint": map[string]any{"type": "weekday", "day": "monday"}}}
		},
		"bad start date": func(s map[string]any) {
			model(s, 1)["prices"] = []any{map[string]any{"prices": prices(s, 1),
				"constraint": map[string]any{"type": "start_date", "start_date": "2026-02-30"}}}
		},
		"bad time of day": func(s map[string]any) {
			model(s, 1)["prices"] = []any{map[string]any{"prices": prices(s, 1),
				"constraint": map[string]any{"type": "time_of_date", "start_time": "24:00:00Z", "end_time": "01:00:00Z"}}}
		},
		"unknown destination": func(s map[string]any) { mappings(s)[0].(map[string]any)["dest"] = "input_tokenz" },
		"array-match path": func(s map[string]any) {
			mappings(s)[0].(map[string]any)["path"] = []any{map[string]any{"type": "array-match"}, "x"}
		},
		"other root": func(s map[string]any) {
			s["provider"].(map[string]any)["extractor"].(map[string]any)["root"] = "message"
		},
	} {
		var s map[string]any
		require.NoError(t, json.Unmarshal(snapshot, &s))
		edit(s)
		b, err := json.Marshal(s)
		require.NoError(t, err)
		_, err = parse(b)
		require.Error(t, err, name)
	}
}

func model(s map[string]any, i int) map[string]any {
	return s["provider"].(map[string]any)["models"].([]any)[i].(map[string]any)
}

// prices is model i's prices; model 1 (Claude Haiku 3.5) has one flat set.
func prices(s map[string]any, i int) map[string]any {
	return model(s, i)["prices"].(map[string]any)
}

func mappings(s map[string]any) []any {
	return s["provider"].(map[string]any)["extractor"].(map[string]any)["mappings"].([]any)
}

func tiers(start float64) map[string]any {
	return map[string]any{"base": 1.0, "tiers": []any{map[string]any{"start": start, "price": 2.0}}}
}
