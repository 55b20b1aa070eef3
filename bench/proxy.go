package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}

func messageBody(i int, stream bool, pad int) []byte {
	return []byte(fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":16,"stream":%t,"pad":%d,"messages":[{"role":"user","content":"bench %d"}]}`, stream, pad, i))
}

func post(base string, body []byte, hdr ...string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("content-type", "application/json")
	req.Header.Set("x-api-key", "sk-bench")
	req.Header.Set("anthropic-version", "2023-06-01")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return client.Do(req)
}

// distinctCalls sends n different calls, 8 at a time.
func distinctCalls(base string, n int) error {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n || firstErr.Load() != nil {
					return
				}
				resp, err := post(base, messageBody(i, false, 0))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("calls to %s: %w", base, err)
	}
	return nil
}

// streamCall makes one streamed call and returns time to the first event
// and to the end of the stream, in ms.
func streamCall(base string, i int, hdr ...string) (ttfe, total float64, err error) {
	t := time.Now()
	resp, err := post(base, messageBody(i, true, 0), hdr...)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if strings.HasPrefix(line, "data:") && ttfe == 0 {
			ttfe = ms(time.Since(t))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return ttfe, ms(time.Since(t)), nil
}

// benchProxyOverhead compares streamed calls through cco (cache bypassed,
// so every call goes upstream and is recorded) with the same calls made
// straight to the fake upstream, interleaved.
func benchProxyOverhead(b *bench) error {
	p, err := b.proxied("overhead")
	if err != nil {
		return err
	}
	defer p.stop()
	base := p.base
	n := scaled(b, 1000, 50)
	viaFirst, viaTotal, dirFirst, dirTotal := &sample{}, &sample{}, &sample{}, &sample{}
	for i := 0; i < n; i++ {
		f1, t1, err := streamCall(base, i, "cache-control", "no-store")
		if err != nil {
			return fmt.Errorf("through cco: %w", err)
		}
		f2, t2, err := streamCall(p.up.URL, i)
		if err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		viaFirst.add(f1)
		viaTotal.add(t1)
		dirFirst.add(f2)
		dirTotal.add(t2)
	}
	b.add(newRow("stream: time to first event p50", "ms", viaFirst, "overhead ≤ 1 ms p50").withBaseline("direct", dirFirst))
	p99 := func(s *sample) *sample { v := &sample{}; v.add(quantile(s.sorted(), 0.99)); return v }
	b.add(newRow("stream: time to first event p99", "ms", p99(viaFirst), "").withBaseline("direct", p99(dirFirst)))
	b.add(newRow("stream: whole call p50", "ms", viaTotal, "").withBaseline("direct", dirTotal))
	b.add(newRow("stream: whole call p99", "ms", p99(viaTotal), "").withBaseline("direct", p99(dirTotal)))
	return nil
}

// load drives base with identical calls from conc workers for d and
// returns completed requests per second.
func load(url string, body []byte, conc int, d time.Duration) (float64, error) {
	var done atomic.Int64
	var firstErr atomic.Value
	stopAt := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stopAt) {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("content-type", "application/json")
				req.Header.Set("x-api-key", "sk-bench")
				req.Header.Set("anthropic-version", "2023-06-01")
				resp, err := client.Do(req)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					firstErr.CompareAndSwap(nil, fmt.Errorf("status %d", resp.StatusCode))
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(done.Load()) / d.Seconds(), nil
}
