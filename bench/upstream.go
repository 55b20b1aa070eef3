package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// fakeUpstream speaks enough of the Messages API for cco to proxy, cache
// and record: JSON answers with usage, SSE streams when "stream" is true,
// and an optional padding size so cache-memory runs can fill the cache.
func fakeUpstream() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
			Pad    int    `json:"pad"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &req)
		if req.Model == "" {
			req.Model = "claude-sonnet-4-5"
		}
		text := "hello" + strings.Repeat(".", req.Pad)
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"id": "msg_bench", "type": "message", "role": "assistant", "model": req.Model,
				"content":     []map[string]any{{"type": "text", "text": text}},
				"stop_reason": "end_turn",
				"usage":       map[string]int{"input_tokens": 12, "output_tokens": 5},
			})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		events := []string{
			fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":%q,"content":[],"usage":{"input_tokens":12,"output_tokens":1}}}`, req.Model),
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, text),
			`{"type":"content_block_stop","index":0}`,
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}`,
			`{"type":"message_stop"}`,
		}
		for _, ev := range events {
			var t struct{ Type string }
			_ = json.Unmarshal([]byte(ev), &t)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", t.Type, ev)
			fl.Flush()
		}
	}))
}
