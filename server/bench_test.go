package server

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkCacheHit measures the whole path of a cache hit over HTTP.
func BenchmarkCacheHit(b *testing.B) {
	up := newFakeUpstream(b)
	d := startDaemon(b, up.URL, "")
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
