package prices

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenCase is one call priced by the package (scripts/prices/cases.mjs).
type goldenCase struct {
	Name     string   `json:"name"`
	Model    string   `json:"model"`
	At       string   `json:"at"`
	Usage    Usage    `json:"usage"`
	Match    *string  `json:"match"`
	PriceUSD *float64 `json:"price_usd"`
	Error    string   `json:"error"`
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

// checkCases prices each case as cco does and as the package did: the
// model it matched, its price to 1e-9 US$, an unpriced model unpriced, a
// refused usage refused.
func checkCases(t *testing.T, table *Table, cases []goldenCase) {
	t.Helper()
	var exact, priced int
	for _, c := range cases {
		what := c.Name + " " + c.Model + " at " + c.At
		at, err := time.Parse(time.RFC3339Nano, c.At)
		require.NoError(t, err, what)
		m, ok := table.Lookup(c.Model)
		if c.Match == nil {
			require.False(t, ok, "%s: matched %s, the package matches nothing", what, m.ID)
			require.Nil(t, c.PriceUSD, what)
			continue
		}
		require.True(t, ok, "%s: no match, the package matches %s", what, *c.Match)
		require.Equal(t, *c.Match, m.ID, what)
		v, err := m.Cost(c.Usage, at)
		if c.Error != "" {
			require.Error(t, err, "%s: the package refuses it: %s", what, c.Error)
			continue
		}
		require.NoError(t, err, what)
		require.NotNil(t, c.PriceUSD, what)
		require.InDelta(t, *c.PriceUSD, v, 1e-9, what)
		priced++
		if v == *c.PriceUSD {
			exact++
		}
	}
	t.Logf("%d cases, %d priced, %d of them to the last bit", len(cases), priced, exact)
}

func TestGolden(t *testing.T) {
	var cases []goldenCase
	readJSON(t, "testdata/golden.json", &cases)
	require.Greater(t, len(cases), 100)
	seen := map[string]bool{}
	for _, c := range cases {
		if c.Match != nil {
			seen[*c.Match] = true
		}
	}
	for _, m := range Builtin().models {
		require.True(t, seen[m.ID], "no golden case prices %s", m.ID)
	}
	checkCases(t, Builtin(), cases)

	// Through Price, as cco calls it.
	for _, c := range cases {
		at, _ := time.Parse(time.RFC3339Nano, c.At)
		v, ok := Price(c.Model, c.Usage, nil, at)
		require.Equal(t, c.PriceUSD != nil, ok, "%s %s", c.Name, c.Model)
		if ok {
			require.InDelta(t, *c.PriceUSD, v, 1e-9, "%s %s", c.Name, c.Model)
		}
	}
}

// TestSynthetic holds the rule and price forms the Anthropic data does
// not use yet to the package's prices for a made-up provider.
func TestSynthetic(t *testing.T) {
	var providers []struct {
		Snapshot json.RawMessage `json:"snapshot"`
		Cases    []goldenCase    `json:"cases"`
	}
	readJSON(t, "testdata/synthetic.json", &providers)
	require.Len(t, providers, 2)
	for _, p := range providers {
		table, err := parse(p.Snapshot)
		require.NoError(t, err)
		checkCases(t, table, p.Cases)
	}
}

func TestWorkedExample(t *testing.T) {
	var u Usage
	require.NoError(t, json.Unmarshal([]byte(`{"input_tokens": 300, "output_tokens": 100,
		"cache_creation_input_tokens": 500, "cache_read_input_tokens": 200,
		"cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 300}}`), &u))
	v, ok := Price("claude-opus-5-5", u, nil, time.Now())
	require.True(t, ok)
	// Opus 5.5 per MTok: $4 input, $5 5-minute write, $8 1-hour write,
	// $0.20 read, $20 output.
	assert.InDelta(t, (300*4+200*5+300*8+200*0.2+100*20)/1e6, v, 1e-12)
	assert.InDelta(t, 0.00664, v, 1e-12)

	// Without the split, every write is a 5-minute write.
	u.CacheCreation5mInputTokens, u.CacheCreation1hInputTokens = 0, 0
	v, ok = Price("claude-opus-5-5", u, nil, time.Now())
	require.True(t, ok)
	assert.InDelta(t, (300*4+500*5+200*0.2+100*20)/1e6, v, 1e-12)
}

func TestTimeDependentPrices(t *testing.T) {
	u := Usage{InputTokens: 150_000, CacheReadInputTokens: 60_000, OutputTokens: 1000}
	before := time.Date(2026, 3, 12, 23, 59, 59, 999_999_999, time.UTC)
	v, ok := Price("claude-sonnet-4-6", u, nil, before)
	require.True(t, ok)
	// 210K input in all: the long-context tier, output included.
	assert.InDelta(t, (150_000*6+60_000*0.6+1000*22.5)/1e6, v, 1e-12)
	v, ok = Price("claude-sonnet-4-6", u, nil, before.Add(time.Nanosecond))
	require.True(t, ok)
	assert.InDelta(t, (150_000*3+60_000*0.3+1000*15)/1e6, v, 1e-12, "flat from 2026-03-13")
}

func TestOverrides(t *testing.T) {
	at := time.Now()
	u := Usage{InputTokens: 1000, OutputTokens: 100, CacheReadInputTokens: 10_000, CacheCreationInputTokens: 3000,
		CacheCreation5mInputTokens: 1000, CacheCreation1hInputTokens: 2000, WebSearchRequests: 2}
	one5 := 1.5
	overrides := map[string]config.Price{
		"claude-opus":   {Input: 1, Output: 2, CacheRead: 0.1, CacheWrite: 1.25},
		"Claude-Opus-5": {Input: 2, Output: 4, CacheRead: 0.2, CacheWrite: 2.5, CacheWrite1h: &one5},
		"claude-new":    {Input: 1, Output: 2},
	}
	for _, c := range []struct {
		model string
		want  float64
	}{
		// The longest family wins, over the dataset too; 1h writes at the
		// configured price; web searches unpriced by an override.
		{"claude-opus-5-5", (1000*2 + 100*4 + 10_000*0.2 + 1000*2.5 + 2000*1.5) / 1e6},
		{"claude-opus-5@20260101", (1000*2 + 100*4 + 10_000*0.2 + 1000*2.5 + 2000*1.5) / 1e6},
		// No 1-hour price configured: 2x input.
		{"claude-opus-4-8", (1000*1 + 100*2 + 10_000*0.1 + 1000*1.25 + 2000*2) / 1e6},
		{"CLAUDE-OPUS-50", (1000*1 + 100*2 + 10_000*0.1 + 1000*1.25 + 2000*2) / 1e6},
		// Unset read and write prices cost nothing; a model the dataset
		// does not know is priced.
		{"claude-new-1-20270101", (1000*1 + 100*2 + 2000*2) / 1e6},
		// Not a family boundary: the dataset prices it.
		{"claude-opusx", -1},
		{"claude-sonnet-4-5", (1000*3+100*15+10_000*0.3+1000*3.75+2000*6)/1e6 + 2*10.0/1000},
	} {
		v, ok := Price(c.model, u, overrides, at)
		if c.want < 0 {
			assert.False(t, ok, c.model)
			continue
		}
		require.True(t, ok, c.model)
		assert.InDelta(t, c.want, v, 1e-12, c.model)
	}

	m, ok := Resolve(" claude-opus-5 ", overrides)
	require.True(t, ok)
	assert.Equal(t, "Claude-Opus-5", m.ID)
	_, ok = Resolve("", map[string]config.Price{"": {Input: 1}})
	assert.False(t, ok, "an empty model is never priced")

	// An override does not make a refused usage priceable.
	_, err := m.Cost(Usage{InputTokens: 1, CacheCreationInputTokens: 10, CacheCreation1hInputTokens: 20}, at)
	assert.Error(t, err)
}

// The override's default for a missing 1-hour price is the rule every
// model of the dataset follows; a snapshot that breaks it fails here.
func TestOneHourWritesAreTwiceInput(t *testing.T) {
	n := 0
	for _, m := range Builtin().models {
		for _, c := range m.prices {
			by := map[string]price{}
			for _, p := range c.prices {
				by[p.unit.priceKey] = p
			}
			w, ok := by["cache_write_1h_mtok"]
			if !ok {
				continue
			}
			in := by["input_mtok"]
			n++
			if w.tiers == nil {
				assert.Equal(t, 2*in.flat, w.flat, m.ID)
				continue
			}
			require.NotNil(t, in.tiers, m.ID)
			assert.Equal(t, 2*in.tiers.base, w.tiers.base, m.ID)
			require.Len(t, w.tiers.tiers, len(in.tiers.tiers), m.ID)
			for i := range w.tiers.tiers {
				assert.Equal(t, in.tiers.tiers[i].start, w.tiers.tiers[i].start, m.ID)
				assert.Equal(t, 2*in.tiers.tiers[i].price, w.tiers.tiers[i].price, m.ID)
			}
		}
	}
	require.Greater(t, n, 10)
}

func TestSnapshotRegexesCompile(t *testing.T) {
	var s struct {
		Provider struct {
			Models []struct {
				ID    string          `json:"id"`
				Match json.RawMessage `json:"match"`
			} `json:"models"`
		} `json:"provider"`
	}
	require.NoError(t, json.Unmarshal(snapshot, &s))
	var regexes, literals []string
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var r map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &r))
		for op, arg := range r {
			switch op {
			case "or", "and":
				var subs []json.RawMessage
				require.NoError(t, json.Unmarshal(arg, &subs))
				for _, sub := range subs {
					walk(sub)
				}
			default:
				var v string
				require.NoError(t, json.Unmarshal(arg, &v))
				if op == "regex" {
					regexes = append(regexes, v)
				}
				literals = append(literals, v)
			}
		}
	}
	for _, m := range s.Provider.Models {
		walk(m.Match)
	}
	require.NotEmpty(t, regexes)
	for _, re := range regexes {
		_, err := regexp.Compile(re)
		assert.NoError(t, err, re)
	}
	// jsLower leaves JavaScript's final sigma out on this ground.
	ascii := regexp.MustCompile(`^[\x20-\x7e]*$`)
	for _, l := range literals {
		assert.Regexp(t, ascii, l)
	}
}

// Every source the snapshot's extractor names is a field a Usage holds,
// but the one the Messages API does not send; a new one fails here.
func TestExtractorFields(t *testing.T) {
	var unread []string
	for _, m := range Builtin().extractor {
		if _, ok := apiFields[m.path]; !ok {
			unread = append(unread, m.path)
		}
	}
	assert.Equal(t, []string{"output_tokens_details.thinking_tokens"}, unread)
}

func TestSnapshotVersion(t *testing.T) {
	assert.Equal(t, "0.1.8", Version())
	assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, Date())
	assert.Len(t, Builtin().models, 23)
}
