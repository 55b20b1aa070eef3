package server

import (
	"encoding/json"

	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/prices"
)

// mergeUsage takes the figures u2 reports. message_delta repeats the
// cumulative counts it knows, and may leave out the ones message_start
// gave.
func mergeUsage(u, u2 *prices.Usage) {
	if u2 == nil {
		return
	}
	for _, f := range [...]struct{ dst, src *int64 }{
		{&u.InputTokens, &u2.InputTokens},
		{&u.OutputTokens, &u2.OutputTokens},
		{&u.CacheReadInputTokens, &u2.CacheReadInputTokens},
		{&u.CacheCreationInputTokens, &u2.CacheCreationInputTokens},
		{&u.CacheCreation5mInputTokens, &u2.CacheCreation5mInputTokens},
		{&u.CacheCreation1hInputTokens, &u2.CacheCreation1hInputTokens},
		{&u.WebSearchRequests, &u2.WebSearchRequests},
	} {
		if *f.src > 0 {
			*f.dst = *f.src
		}
	}
}

func fillUsage(u prices.Usage, r *analytics.Record) {
	r.InputTokens, r.OutputTokens = u.InputTokens, u.OutputTokens
	r.CacheReadTokens, r.CacheCreationTokens = u.CacheReadInputTokens, u.CacheCreationInputTokens
	r.CacheWrite5mTokens, r.CacheWrite1hTokens = u.CacheCreation5mInputTokens, u.CacheCreation1hInputTokens
}

// meter reads the model and usage from a response as it passes: a JSON
// body at its end, or a stream event by event.
type meter struct {
	model     string
	usage     prices.Usage
	complete  bool   // a stream ended with message_stop
	failed    bool   // a stream carried an error event
	errorType string // that event's error type (overloaded_error, ...)
}

// jsonBody reads a whole JSON response ({"model", "usage"}); prices.Usage
// reads the usage fields pricing needs, the cache-write split and web
// searches included.
func (m *meter) jsonBody(body []byte) {
	var msg struct {
		Model string        `json:"model"`
		Usage *prices.Usage `json:"usage"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return
	}
	if msg.Model != "" {
		m.model = msg.Model
	}
	mergeUsage(&m.usage, msg.Usage)
}

// event reads one server-sent event of a Messages stream; it reports
// whether the event changed what the meter knows (not a content delta).
func (m *meter) event(raw []byte) bool {
	ev := parseEvent(raw)
	switch ev.Name {
	case "message_start":
		var d struct {
			Message struct {
				Model string        `json:"model"`
				Usage *prices.Usage `json:"usage"`
			} `json:"message"`
		}
		if json.Unmarshal(ev.Data, &d) == nil {
			if d.Message.Model != "" {
				m.model = d.Message.Model
			}
			mergeUsage(&m.usage, d.Message.Usage)
		}
	case "message_delta":
		var d struct {
			Usage *prices.Usage `json:"usage"`
		}
		if json.Unmarshal(ev.Data, &d) == nil {
			mergeUsage(&m.usage, d.Usage)
		}
	case "message_stop":
		m.complete = true
	case "error":
		m.failed = true
		var d struct {
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		if json.Unmarshal(ev.Data, &d) == nil {
			m.errorType = cleanLabel(d.Error.Type, 64)
		}
		if m.errorType == "" {
			m.errorType = "error"
		}
	default:
		return false
	}
	return true
}

// requestModel is the model a request body asks for, when it says.
func requestModel(body []byte) string {
	var req struct {
		Model string `json:"model"`
	}
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	return req.Model
}
