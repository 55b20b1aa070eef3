package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheHitMissBypass(t *testing.T) {
	d, up := startProxy(t, "")
	body := msgBody("claude-haiku-4-5", "cache me", false, "")
	_, b1 := requireReplayed(t, d, body)
	require.EqualValues(t, 1, up.Hits.Load())

	r3, b3 := d.post(t, body, "Cache-Control", "no-cache")
	require.Equal(t, "bypass", r3.Header.Get("X-Cco-Cache"))
	require.Equal(t, b1, b3)
	r4, _ := d.post(t, body, "Cache-Control", "no-store")
	require.Equal(t, "bypass", r4.Header.Get("X-Cco-Cache"))
	require.EqualValues(t, 3, up.Hits.Load())

	// Every part of the key matters.
	variants := [][]string{
		{msgBody("claude-haiku-4-5", "cache me!", false, "")},           // body
		{msgBody("claude-sonnet-4-5", "cache me", false, "")},           // model
		{body, "Anthropic-Beta", "prompt-caching-2024-07-31"},           // beta
		{body, "X-Api-Key", "sk-ant-other-key"},                         // key
		{body, "Anthropic-Version", "2099-01-01"},                       // version
		{body, "X-Api-Key", "", "Authorization", "Bearer sk-ant-oauth"}, // credential kind
	}
	for i, v := range variants {
		r, _ := d.post(t, v[0], v[1:]...)
		require.Equal(t, "miss", r.Header.Get("X-Cco-Cache"), "variant %d", i)
	}
	require.EqualValues(t, 3+len(variants), up.Hits.Load())
	st := d.cache.stats()
	require.EqualValues(t, 1, st.Hits)
	require.EqualValues(t, 1+len(variants), st.Misses)
}

func TestCacheStreamReplayedAsStream(t *testing.T) {
	d, _ := startProxy(t, "")
	body := msgBody("claude-haiku-4-5", "stream me", true, "")
	r2, b2 := requireReplayed(t, d, body)
	require.Equal(t, "text/event-stream", r2.Header.Get("Content-Type"))
	require.Contains(t, b2, "event: message_stop")
}

// requireReplayed posts body twice to a fresh cache: a miss, then a hit
// that replays it byte for byte with the same Content-Type. It returns
// the hit.
func requireReplayed(t *testing.T, d *testDaemon, body string) (*http.Response, string) {
	t.Helper()
	r1, b1 := d.post(t, body)
	r2, b2 := d.post(t, body)
	require.Equal(t, "miss", r1.Header.Get("X-Cco-Cache"))
	require.Equal(t, "hit", r2.Header.Get("X-Cco-Cache"))
	require.Equal(t, r1.Header.Get("Content-Type"), r2.Header.Get("Content-Type"))
	require.Equal(t, b1, b2, "the replay is byte for byte the original")
	return r2, b2
}

func TestCacheTTLExpiry(t *testing.T) {
	d, up := startProxy(t, "cache_ttl = 60\n")
	now := time.Now()
	d.cache.mu.Lock()
	d.cache.now = func() time.Time { return now }
	d.cache.mu.Unlock()
	body := msgBody("claude-haiku-4-5", "ttl", false, "")
	d.post(t, body)
	r, _ := d.post(t, body)
	require.Equal(t, "hit", r.Header.Get("X-Cco-Cache"))
	d.cache.mu.Lock()
	d.cache.now = func() time.Time { return now.Add(61 * time.Second) }
	d.cache.mu.Unlock()
	r, _ = d.post(t, body)
	require.Equal(t, "miss", r.Header.Get("X-Cco-Cache"), "expired after cache_ttl")
	require.EqualValues(t, 2, up.Hits.Load())
	require.EqualValues(t, 1, d.cache.stats().Expired)
}

func TestCacheByteBoundEvicts(t *testing.T) {
	d, _ := startProxy(t, "")
	a := msgBody("claude-haiku-4-5", "first", false, "")
	b := msgBody("claude-haiku-4-5", "second", false, "")
	c := msgBody("claude-haiku-4-5", "third", false, "")
	// A client may read the whole answer a moment before it is stored.
	stored := func(n int) CacheStats {
		t.Helper()
		require.Eventually(t, func() bool { return d.cache.stats().Misses == int64(n) && !d.flying() }, 10*time.Second, 5*time.Millisecond)
		return d.cache.stats()
	}
	d.post(t, a)
	one := stored(1).Bytes
	limit := one*2 + one/2 // room for two answers, not three
	d.cache.setLimits(limit, time.Hour)
	d.post(t, b)
	st := stored(2)
	require.Equal(t, 2, st.Entries, "two answers fit: %+v", st)
	r, _ := d.post(t, a) // a is now the most recently used
	require.Equal(t, "hit", r.Header.Get("X-Cco-Cache"))
	d.post(t, c) // evicts b
	st = stored(3)
	require.LessOrEqual(t, st.Bytes, limit)
	require.EqualValues(t, 1, st.Evictions)
	r, _ = d.post(t, a)
	require.Equal(t, "hit", r.Header.Get("X-Cco-Cache"))
	r, _ = d.post(t, b)
	require.Equal(t, "miss", r.Header.Get("X-Cco-Cache"))
}

// flying reports whether any upstream call is still being shared.
func (d *testDaemon) flying() bool {
	d.flights.mu.Lock()
	defer d.flights.mu.Unlock()
	return len(d.flights.m) > 0
}

func TestCacheUnitBounds(t *testing.T) {
	c := newResponseCache(100, time.Hour)
	require.False(t, c.put("k", &cachedResponse{body: make([]byte, 200)}), "larger than the whole cache")
	require.True(t, c.put("k1", &cachedResponse{body: make([]byte, 40)}))
	require.True(t, c.put("k2", &cachedResponse{body: make([]byte, 40)}))
	c.setLimits(50, time.Hour)
	st := c.stats()
	require.Equal(t, 1, st.Entries)
	require.EqualValues(t, 50, st.MaxBytes)
	_, ok := c.get("k2")
	require.True(t, ok, "the most recent entry stays")
}

func TestErrorsAndInterruptedStreamsNotStored(t *testing.T) {
	d, up := startProxy(t, "")
	errBody := msgBody("claude-haiku-4-5", "e", false, "status:500")
	r, _ := d.post(t, errBody)
	require.Equal(t, 500, r.StatusCode)
	r, _ = d.post(t, errBody)
	require.Equal(t, 500, r.StatusCode)
	require.Equal(t, "miss", r.Header.Get("X-Cco-Cache"))

	cut := msgBody("claude-haiku-4-5", "cut", true, "cut")
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodPost, d.url+"/v1/messages", strings.NewReader(cut))
		req.Header.Set("X-Api-Key", testKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, "miss", resp.Header.Get("X-Cco-Cache"))
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Error(t, err, "an interrupted stream reaches the client as an error, not a clean end")
	}
	require.EqualValues(t, 4, up.Hits.Load())
	require.Zero(t, d.cache.stats().Entries)
}

func TestSingleFlight(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			d, up := startProxy(t, "")
			body := msgBody("claude-haiku-4-5", "together", stream, "hold")
			const n = 50
			var wg sync.WaitGroup
			bodies := make([]string, n)
			caches := make([]string, n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, b := d.post(t, body)
					bodies[i], caches[i] = b, r.Header.Get("X-Cco-Cache")
				}()
			}
			// The upstream holds its answer until all 50 are waiting on
			// the one flight; only then is it released.
			<-up.Received
			require.Eventually(t, func() bool {
				d.flights.mu.Lock()
				defer d.flights.mu.Unlock()
				f := d.flights.m[cacheKey(mustReq(body), []byte(body))]
				if f == nil {
					return false
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				return f.refs == n
			}, 10*time.Second, 5*time.Millisecond)
			up.Release()
			wg.Wait()
			require.EqualValues(t, 1, up.Hits.Load())
			misses := 0
			for i := range bodies {
				require.Equal(t, bodies[0], bodies[i])
				if caches[i] == "miss" {
					misses++
				}
			}
			require.Equal(t, 1, misses, "one leader, %d followers", n-1)
			if stream {
				require.Contains(t, bodies[0], "event: message_stop")
			}
			d.waitRows(t, n)
		})
	}
}

// mustReq is a request with the headers post sends, for computing keys.
func mustReq(body string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
	r.Header.Set("X-Api-Key", testKey)
	r.Header.Set("Anthropic-Version", "2023-06-01")
	return r
}

func TestStreamingIsIncremental(t *testing.T) {
	d, up := startProxy(t, "")
	req, _ := http.NewRequest(http.MethodPost, d.url+"/v1/messages", strings.NewReader(msgBody("claude-haiku-4-5", "slowly", true, "hold")))
	req.Header.Set("X-Api-Key", testKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	// The fake holds back its last events until released: reading the first
	// one now proves that cco does not wait for the end.
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "event: message_start\n", line)
	select {
	case <-up.Hold:
		t.Fatal("released too early")
	default:
	}
	up.Release()
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	require.Contains(t, string(rest), "event: message_stop")
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	up := newFakeUpstream(t)
	var cancelled sync.WaitGroup
	cancelled.Add(1)
	d := startDaemon(t, up.URL, "")
	ctxDone := make(chan struct{})
	up.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: message_start\ndata: {}\n\n")
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
		close(ctxDone)
	})
	req, _ := http.NewRequest(http.MethodPost, d.url+"/v1/messages", strings.NewReader(msgBody("claude-haiku-4-5", "bye", true, "")))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, err = bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	resp.Body.Close() // the client goes away mid-stream
	select {
	case <-ctxDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not cancelled when the client left")
	}
}

func TestStorableKeepsWhatReplays(t *testing.T) {
	up := http.Header{
		"Content-Type":        {"application/json"},
		"Request-Id":          {"req_1"},
		"Anthropic-Ratelimit": {"a", "b"},
		"Date":                {"Sun, 29 Nov 2026 05:00:00 GMT"},
		"Set-Cookie":          {"x=1"},
		"Connection":          {"X-Hop"},
		"X-Hop":               {"1"},
		"Transfer-Encoding":   {"chunked"},
	}
	got := storable(up).http()
	assert.Equal(t, http.Header{
		"Content-Type":        {"application/json"},
		"Request-Id":          {"req_1"},
		"Anthropic-Ratelimit": {"a", "b"},
	}, got, "hop-by-hop headers, those named by Connection, Date and cookies are not replayed")
}

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
