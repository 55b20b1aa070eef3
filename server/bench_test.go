package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkCacheHit measures the whole path of a cache hit over HTTP.
func BenchmarkCacheHit(b *testing.B) {
	d, _ := startProxy(b, "")
	d.log = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	body := msgBody("claude-sonnet-4-5", "bench", false, "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	do := func() {
		req, _ := http.NewRequest(http.MethodPost, d.url+"/v1/messages", strings.NewReader(body))
		req.Header.Set("X-Api-Key", testKey)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	do()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			do()
		}
	})
}

// BenchmarkRecording is one proxied call (sent upstream every time, with
// Cache-Control: no-store) with usage recording on and off; the two run
// interleaved under -count, which is what `make bench` compares. Off means
// no batch writer: the call is priced and counted but never queued.
func BenchmarkRecording(b *testing.B) {
	// Not newFakeUpstream: it keeps every request's headers and counts
	// them into a bounded channel, which a long run would fill.
	answer := `{"id":"msg_b","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":7}}`
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer up.Close()
	quiet := func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) }
	on := startDaemon(b, up.URL, "health_checks = false\n", quiet)
	off := startDaemon(b, up.URL, "health_checks = false\n", quiet) // the checks look at the writer
	// Before any request reaches it, so no handler sees the writer change.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := off.writer.Close(ctx); err != nil {
		b.Fatal(err)
	}
	off.writer = nil
	body := msgBody("claude-sonnet-4-5", "bench", false, "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	call := func(b *testing.B, url string) {
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/messages", strings.NewReader(body))
		req.Header.Set("X-Api-Key", testKey)
		req.Header.Set("Cache-Control", "no-store")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	for _, c := range []struct {
		name string
		d    *testDaemon
	}{{"on", on}, {"off", off}} {
		b.Run(c.name, func(b *testing.B) {
			call(b, c.d.url)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call(b, c.d.url)
			}
		})
	}
}
