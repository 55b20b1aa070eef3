//go:build linux

package test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
)

// TestReliabilityUpstreamFaults makes the upstream fail in the ways a real
// one does. The client must get the upstream's status and body unchanged,
// cco must never retry a call on its own (the upstream counts every request
// it sees), no failed or partial answer may be cached, and the daemon must
// stay healthy throughout.
func TestReliabilityUpstreamFaults(t *testing.T) {
	e, up := newFaultyEnv(t)
	e.startDaemon()
	injected, unchanged, requests := 0, 0, 0
	okBodies := 0 // distinct successful answers, each one cache entry

	// An answer that succeeds first, so the daemon holds a warm (reused)
	// connection to the upstream: that is where an HTTP client is tempted
	// to retry a request that failed on it.
	code, _, _, err := e.message(messageBody("rel-fault-warm", false))
	if err != nil || code != 200 {
		t.Fatalf("warm-up call: %d %v", code, err)
	}
	okBodies++

	// 429, 500 and 529 with retry-after, JSON and streamed, twice each:
	// passed through byte for byte, and the second is not a cache hit.
	for _, status := range []int{429, 500, 529} {
		for _, stream := range []bool{false, true} {
			fault := fmt.Sprintf("status:%d", status)
			body := messageBody(fmt.Sprintf("rel-fault-%d-%t", status, stream), stream)
			for range 2 {
				injected++
				requests++
				code, h, b, err := e.message(body, faultHeader+": "+fault)
				switch {
				case err != nil:
					t.Errorf("%s: %v", fault, err)
				case code != status || string(b) != testkit.StatusBody(status) || h.Get("Retry-After") != "7" || h.Get("X-Fake-Upstream") != "status":
					t.Errorf("%s (stream %t): got %d retry-after %q body %s; want the upstream's %d, retry-after 7, body %s",
						fault, stream, code, h.Get("Retry-After"), b, status, testkit.StatusBody(status))
				case h.Get("X-Cco-Cache") == "hit":
					t.Errorf("%s: an error was answered from the cache", fault)
				default:
					unchanged++
				}
			}
			// The same body now succeeds: it must go upstream (the errors
			// were not stored) and be answered in full.
			before := up.Count("")
			requests++
			code, h, _, err := e.message(body)
			if err != nil || code != 200 || h.Get("X-Cco-Cache") != "miss" || up.Count("") != before+1 {
				t.Errorf("after %s: %d cache %q, upstream calls %d->%d; want 200, a miss and one upstream call",
					fault, code, h.Get("X-Cco-Cache"), before, up.Count(""))
			}
			okBodies++
		}
		if n := up.Count(fmt.Sprintf("status:%d", status)); n != 4 {
			t.Errorf("status %d: the upstream saw %d requests for 4 calls (cco retried?)", status, n)
		}
	}

	// A reset: the upstream closes the connection without answering. The
	// client gets a 502 saying so; the upstream sees exactly one request.
	for range 2 {
		injected++
		requests++
		code, _, b, err := e.message(messageBody("rel-fault-reset", false), faultHeader+": reset")
		if err == nil && code == http.StatusBadGateway && isAPIError(b) {
			unchanged++
		} else {
			t.Errorf("reset: %d %v %s; want 502 with an error body", code, err, b)
		}
	}
	if n := up.Count("reset"); n != 2 {
		t.Errorf("reset: the upstream saw %d requests for 2 calls (cco retried?)", n)
	}

	// A stream cut mid-way: the client must see a broken stream (never a
	// clean end that looks complete), and the partial answer is not cached.
	injected++
	requests++
	res := readStream(e, "rel-fault-cut", faultHeader+": cut")
	if res.complete || res.err == nil || !strings.Contains(res.err.Error(), "reading the stream") {
		t.Errorf("cut stream: complete %t, err %v; want a broken stream", res.complete, res.err)
	} else {
		unchanged++
	}
	requests++
	before := up.Count("")
	if r := readStream(e, "rel-fault-cut"); !r.complete || up.Count("") != before+1 {
		t.Errorf("after a cut stream: complete %t (%v), upstream calls %d->%d; the partial stream must not be cached", r.complete, r.err, before, up.Count(""))
	}
	okBodies++

	// A stall: the upstream sends message_start and nothing more. The
	// client gives up; cco must cancel the upstream request, not hold it.
	injected++
	requests++
	if stalledStream(t, e, up) {
		unchanged++
	}
	requests++
	before = up.Count("")
	if r := readStream(e, "rel-fault-stall"); !r.complete || up.Count("") != before+1 {
		t.Errorf("after a stall: complete %t (%v), upstream calls %d->%d; the partial stream must not be cached", r.complete, r.err, before, up.Count(""))
	}
	okBodies++

	hits := int(up.Hits.Load())
	if hits != requests+1 { // +1: the warm-up call
		t.Errorf("the upstream saw %d requests for %d calls", hits, requests+1)
	}
	st := e.status()
	if st.Cache.Entries != int64(okBodies) {
		t.Errorf("the cache holds %d entries, want %d (one per successful answer, none for errors)", st.Cache.Entries, okBodies)
	}
	healthy := true
	for _, path := range []string{"/health", "/ready"} {
		if code, body, err := httpStatus(e.base + path); err != nil || code != 200 {
			healthy = false
			t.Errorf("after the faults, GET %s: %d %v %s", path, code, err, body)
		}
	}
	report(t, "upstream-faults", "%d faulty answers (429/500/529 JSON and streamed, resets, a cut and a stalled stream): %d passed to the client unchanged, %d upstream requests for %d calls (0 retries), %d errors cached, daemon healthy: %t",
		injected, unchanged, hits, requests+1, st.Cache.Entries-int64(okBodies), healthy)
}

// stalledStream reads the first event of a stalled stream, gives up, and
// waits for the upstream to see its request cancelled.
func stalledStream(t *testing.T, e *relEnv, up *testkit.Upstream) bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/v1/messages", strings.NewReader(messageBody("rel-fault-stall", true)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "sk-ant-test-reliability")
	req.Header.Set(faultHeader, "stall")
	resp, err := relClient.Do(req)
	if err != nil {
		t.Errorf("stall: %v", err)
		return false
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event: message_start\n" {
		t.Errorf("stall: first line %q %v; the first event must arrive before the stall", line, err)
		return false
	}
	select {
	case <-up.Stalled:
	case <-time.After(waitLimit):
		t.Errorf("stall: the upstream never stalled")
		return false
	}
	before := up.Cancelled.Load()
	cancel()
	if err := waitFor("the upstream request to be cancelled", func() (bool, error) {
		return up.Cancelled.Load() > before, nil
	}); err != nil {
		t.Errorf("stall: the client went away but cco kept the upstream request open: %v", err)
		return false
	}
	return true
}

// isAPIError reports whether b is an Anthropic-style error body.
func isAPIError(b []byte) bool {
	var v struct {
		Type  string
		Error struct{ Type, Message string }
	}
	return json.Unmarshal(b, &v) == nil && v.Type == "error" && v.Error.Message != ""
}
