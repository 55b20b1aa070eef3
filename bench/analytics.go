package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/anthropics/cco/server/analytics"
)

// testBinary compiles a package's tests once, so each measurement below is
// one short run of Go's own benchmark harness.
func testBinary(root, pkg string) (string, error) {
	out := filepath.Join(root, filepath.Base(pkg)+".test")
	c := exec.Command("go", "test", "-c", "-o", out, pkg)
	if b, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go test -c %s: %v: %s", pkg, err, b)
	}
	return out, nil
}

// goBench runs one benchmark of a test binary, with env added to its
// environment, and returns the value of the metric named unit ("ns/op",
// "rows/s").
func goBench(bin, name, benchtime, unit string, env ...string) (float64, error) {
	c := exec.Command(bin, "-test.run", "^$", "-test.bench", name, "-test.benchtime", benchtime, "-test.count", "1")
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s -test.bench %s: %v: %s", filepath.Base(bin), name, err, out)
	}
	m := regexp.MustCompile(`([0-9.]+) ` + regexp.QuoteMeta(unit)).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s -test.bench %s: no %s in %q", filepath.Base(bin), name, unit, out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// benchRecording measures the batch writer's sustained rate and the
// latency a proxied call pays for recording, against recording off.
func benchRecording(b *bench) error {
	abin, err := testBinary(b.root, "./server/analytics")
	if err != nil {
		return err
	}
	rows := scaled(b, "200000x", "5000x")
	rate := &sample{}
	for i := 0; i < b.runs; i++ {
		v, err := goBench(abin, "^BenchmarkWriter$", rows, "rows/s")
		if err != nil {
			return err
		}
		rate.add(v)
	}
	b.add(newRow("analytics: batch writer sustained", "rows/s", rate, "≥ 50,000 rows/s"))

	sbin, err := testBinary(b.root, "./server")
	if err != nil {
		return err
	}
	calls := scaled(b, "3000x", "100x")
	latency := func(mode string) func() (float64, error) {
		return func() (float64, error) {
			ns, err := goBench(sbin, "^BenchmarkRecording$/^"+mode+"$", calls, "ns/op")
			return ns / 1e3, err
		}
	}
	on, off, err := interleave(b.runs, latency("on"), latency("off"))
	if err != nil {
		return err
	}
	b.add(newRow("proxied call latency, recording on", "µs", on, "≤ 1.02 × recording off").withBaseline("recording off", off))
	return nil
}

// benchStatsQuery fills a usage database with a million calls over 30 days
// and times GET /api/stats over the whole range on the real daemon.
func benchStatsQuery(b *bench) error {
	e, n, err := b.filledEnv("stats", 1_000_000, 20_000)
	if err != nil {
		return err
	}
	d, base, err := e.foreground()
	if err != nil {
		return err
	}
	defer stop(d)
	// query times b.runs GETs of /api/stats with query q.
	query := func(q string) (*sample, error) {
		once := func() error {
			code, _, err := get(base + "/api/stats?" + q)
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("/api/stats: status %d", code)
			}
			return err
		}
		if err := once(); err != nil { // the first query warms SQLite's page cache
			return nil, err
		}
		s := &sample{}
		for i := 0; i < b.runs; i++ {
			v, err := timed(once)
			if err != nil {
				return nil, err
			}
			s.add(v)
		}
		return s, nil
	}
	s, err := query("since=31d")
	if err != nil {
		return err
	}
	r := newRow("/api/stats over 30 days", "ms", s, "≤ 100 ms at 1 M rows")
	r.Note = fmt.Sprintf("%d rows", n)
	b.add(r)

	if s, err = query("since=31d&by=session"); err != nil {
		return err
	}
	r = newRow("/api/stats?by=session over 30 days", "ms", s, "≤ 50 ms at 1 M rows")
	r.Note = fmt.Sprintf("%d rows, %d sessions", n, sessionsIn(n))
	b.add(r)
	return nil
}

// sessionsIn is how many Claude Code sessions fillDatabase spreads n
// calls over, the last being the most recent.
func sessionsIn(n int) int { return max(1, n/500) }

func sessionID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// fillDatabase writes n calls spread over the last 30 days, through the
// same Insert the batch writer uses (so the hourly roll-up is filled too).
func fillDatabase(path string, n int) error {
	s, err := analytics.Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	end := time.Now()
	start := end.Add(-30 * 24 * time.Hour)
	step := end.Sub(start) / time.Duration(n)
	models := []string{"claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5", "claude-3-5-haiku"}
	// Claude Code sessions of about 500 calls each, in 20 projects.
	sessions := make([]string, sessionsIn(n))
	for i := range sessions {
		sessions[i] = sessionID(i)
	}
	caches := []string{"miss", "hit", "bypass"}
	cost := 0.0042
	batch := make([]analytics.Record, 0, 5000)
	for i := 0; i < n; i++ {
		batch = append(batch, analytics.Record{Time: start.Add(time.Duration(i) * step), Path: "/v1/messages",
			Model: models[i%len(models)], Status: 200, Cache: caches[i%len(caches)], InputTokens: 1000, OutputTokens: 200,
			Latency: time.Second, TTFB: 300 * time.Millisecond, CostUSD: &cost, Route: "/v1/messages",
			SessionID: sessions[i*len(sessions)/n], Project: fmt.Sprintf("/home/dev/project-%02d", i%20),
			Client: "claude-cli/2.1.332", Credential: "api_key"})
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.Insert(context.Background(), batch); err != nil {
				return fmt.Errorf("filling the usage database: %w", err)
			}
			batch = batch[:0]
		}
	}
	return nil
}
