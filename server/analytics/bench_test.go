package analytics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkStats aggregates a database of CCO_BENCH_ROWS rows (default
// 100,000) spread over 30 days; the whole range is asked for.
func BenchmarkStats(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CCO_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	end := time.Now()
	start := end.Add(-30 * 24 * time.Hour)
	step := end.Sub(start) / time.Duration(n)
	models := []string{"claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5", "claude-3-5-haiku"}
	batch := make([]Record, 0, 5000)
	cost := 0.001
	for i := 0; i < n; i++ {
		cache := []string{"miss", "hit", "bypass"}[i%3]
		batch = append(batch, Record{Time: start.Add(time.Duration(i) * step), Path: "/v1/messages", Model: models[i%len(models)],
			Status: 200, Cache: cache, InputTokens: 1000, OutputTokens: 200, Latency: time.Second, CostUSD: &cost})
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.Insert(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ReportMetric(float64(n), "rows")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := s.Stats(context.Background(), start.Add(-time.Hour), end.Add(time.Hour), Filter{})
		if err != nil {
			b.Fatal(err)
		}
		if st.Totals.Requests != int64(n) {
			b.Fatal(fmt.Sprintf("requests %d, want %d", st.Totals.Requests, n))
		}
	}
}

// BenchmarkInsert writes batches as the writer does; ns/op is per row.
func BenchmarkInsert(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cost := 0.001
	batch := make([]Record, 256)
	for i := range batch {
		batch[i] = Record{Time: time.Now(), Path: "/v1/messages", Model: "claude-sonnet-4-5", Status: 200, Cache: "hit", InputTokens: 10, CostUSD: &cost}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		if err := s.Insert(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriter is the batch writer's sustained rate: b.N records queued
// as fast as a busy proxy would, then drained into SQLite; rows/s is the
// figure `make bench` reports.
func BenchmarkWriter(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	w := NewWriter(s, slog.New(slog.NewTextHandler(io.Discard, nil)), b.N)
	cost := 0.001
	models := []string{"claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5"}
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		w.Enqueue(Record{Time: time.Now(), Path: "/v1/messages", Model: models[i%len(models)], Status: 200, Cache: "miss",
			InputTokens: 1000, OutputTokens: 200, Latency: time.Second, TTFB: 300 * time.Millisecond, CostUSD: &cost})
	}
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(t0)
	st := w.Stats()
	if st.Written != int64(b.N) || st.Dropped != 0 {
		b.Fatalf("written %d, dropped %d, want %d written", st.Written, st.Dropped, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
}
