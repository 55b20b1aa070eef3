package server

import (
	"encoding/json"

	"github.com/anthropics/cco/server/analytics"
)

// usage is the token accounting of one Messages API answer.
type usage struct {
	Input         int64 `json:"input_tokens"`
	Output        int64 `json:"output_tokens"`
	CacheRead     int64 `json:"cache_read_input_tokens"`
	CacheCreation int64 `json:"cache_creation_input_tokens"`
}

// merge takes the figures u2 reports. message_delta repeats the cumulative
// counts it knows, and may leave out the ones message_start gave.
func (u *usage) merge(u2 *usage) {
	if u2 == nil {
		return
	}
	if u2.Input > 0 {
		u.Input = u2.Input
	}
	if u2.Output > 0 {
		u.Output = u2.Output
	}
	if u2.CacheRead > 0 {
		u.CacheRead = u2.CacheRead
	}
	if u2.CacheCreation > 0 {
		u.CacheCreation = u2.CacheCreation
	}
}

func (u usage) fill(r *analytics.Record) {
	r.InputTokens, r.OutputTokens = u.Input, u.Output
	r.CacheReadTokens, r.CacheCreationTokens = u.CacheRead, u.CacheCreation
}

// meter reads the model and usage from a response as it passes: a JSON
// body at its end, or a stream event by event.
type meter struct {
	model    string
	usage    usage
	complete bool // a stream ended with message_stop
	failed   bool // a stream carried an error event
}

// jsonBody reads a whole JSON response ({"model", "usage"}).
func (m *meter) jsonBody(body []byte) {
	var msg struct {
		Model string `json:"model"`
		Usage *usage `json:"usage"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return
	}
	if msg.Model != "" {
		m.model = msg.Model
	}
	m.usage.merge(msg.Usage)
}

// event reads one server-sent event of a Messages stream.
func (m *meter) event(raw []byte) {
	ev := parseEvent(raw)
	switch ev.Name {
	case "message_start":
		var d struct {
			Message struct {
				Model string `json:"model"`
				Usage *usage `json:"usage"`
			} `json:"message"`
		}
		if json.Unmarshal(ev.Data, &d) == nil {
			if d.Message.Model != "" {
				m.model = d.Message.Model
			}
			m.usage.merge(d.Message.Usage)
		}
	case "message_delta":
		var d struct {
			Usage *usage `json:"usage"`
		}
		if json.Unmarshal(ev.Data, &d) == nil {
			m.usage.merge(d.Usage)
		}
	case "message_stop":
		m.complete = true
	case "error":
		m.failed = true
	}
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
