package prices

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Usage is the usage of one Messages API answer as the API reports it.
// InputTokens excludes the cached tokens, which the API counts apart; the
// dataset's own input total includes them, and the snapshot's extractor
// says how one becomes the other.
type Usage struct {
	InputTokens              int64 // input_tokens: uncached input only
	OutputTokens             int64 // output_tokens
	CacheReadInputTokens     int64 // cache_read_input_tokens
	CacheCreationInputTokens int64 // cache_creation_input_tokens: every cache write
	// The split of CacheCreationInputTokens by cache lifetime
	// (cache_creation.ephemeral_5m_input_tokens and _1h_). Answers without
	// it price every write as a 5-minute one.
	CacheCreation5mInputTokens int64
	CacheCreation1hInputTokens int64
	WebSearchRequests          int64 // server_tool_use.web_search_requests
}

// UnmarshalJSON reads a Messages API "usage" object; absent and null
// fields are zero.
func (u *Usage) UnmarshalJSON(b []byte) error {
	var w struct {
		InputTokens              int64 `json:"input_tokens"`
		OutputTokens             int64 `json:"output_tokens"`
		CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
		CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
		CacheCreation            struct {
			Ephemeral5m int64 `json:"ephemeral_5m_input_tokens"`
			Ephemeral1h int64 `json:"ephemeral_1h_input_tokens"`
		} `json:"cache_creation"`
		ServerToolUse struct {
			WebSearchRequests int64 `json:"web_search_requests"`
		} `json:"server_tool_use"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = Usage{
		InputTokens: w.InputTokens, OutputTokens: w.OutputTokens,
		CacheReadInputTokens: w.CacheReadInputTokens, CacheCreationInputTokens: w.CacheCreationInputTokens,
		CacheCreation5mInputTokens: w.CacheCreation.Ephemeral5m, CacheCreation1hInputTokens: w.CacheCreation.Ephemeral1h,
		WebSearchRequests: w.ServerToolUse.WebSearchRequests,
	}
	return nil
}

// apiFields are the Messages API usage fields a Usage holds, by their path
// in the API's usage object: the snapshot's extractor names its sources so.
var apiFields = map[string]func(Usage) int64{
	"input_tokens":                             func(u Usage) int64 { return u.InputTokens },
	"output_tokens":                            func(u Usage) int64 { return u.OutputTokens },
	"cache_read_input_tokens":                  func(u Usage) int64 { return u.CacheReadInputTokens },
	"cache_creation_input_tokens":              func(u Usage) int64 { return u.CacheCreationInputTokens },
	"cache_creation.ephemeral_5m_input_tokens": func(u Usage) int64 { return u.CacheCreation5mInputTokens },
	"cache_creation.ephemeral_1h_input_tokens": func(u Usage) int64 { return u.CacheCreation1hInputTokens },
	"server_tool_use.web_search_requests":      func(u Usage) int64 { return u.WebSearchRequests },
}

// mapping is one rule of the extractor: the API field at path adds to the
// dataset's usage field dest.
type mapping struct {
	path     string // dotted
	dest     string
	required bool
}

// extract is the package's extractUsage for a Usage: each mapping adds its
// source to its destination, and a destination no mapping reached is
// absent. A zero optional field counts as absent, since a Usage cannot
// tell a zero from a field the API left out. calcPrice treats the two
// alike but in one case: an absent field whose units two other positive,
// overlapping fields would make up (an audio cache read, from audio input
// and cache reads); no two destinations of the Anthropic extractor overlap
// so. A field the API does not send, and so a Usage does not hold
// (output_tokens_details.thinking_tokens), is absent, as it is to
// extractUsage.
func extract(ms []mapping, u Usage) (map[string]float64, error) {
	out := map[string]float64{}
	for _, m := range ms {
		get, ok := apiFields[m.path]
		if !ok {
			continue
		}
		v := get(u)
		if v < 0 {
			return nil, fmt.Errorf("invalid usage value for %s: %d is negative", m.path, v)
		}
		if v == 0 && !m.required {
			continue
		}
		out[m.dest] += float64(v)
	}
	return out, nil
}

// parsePath reads an extractor path: a field name or a list of them. The
// dataset also allows array-match steps, which no field of a Messages API
// usage needs.
func parsePath(raw json.RawMessage) (string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one, nil
	}
	var steps []string
	if err := json.Unmarshal(raw, &steps); err != nil || len(steps) == 0 {
		return "", fmt.Errorf("path %s: want a field name or a list of field names", raw)
	}
	return strings.Join(steps, "."), nil
}
