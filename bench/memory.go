package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// benchBinary reports the stripped release binary's size.
func benchBinary(b *bench) error {
	fi, err := os.Stat(b.cco)
	if err != nil {
		return err
	}
	s := &sample{}
	s.add(float64(fi.Size()) / (1 << 20))
	b.add(newRow("binary size (stripped)", "MiB", s, "≤ 18 MB"))
	return nil
}

// benchIdleRSS measures the daemon's RSS just after start, right after 10k
// proxied calls (each a distinct, recorded, cached call) and once it has
// fallen idle again, against the minimal server under the same load.
func benchIdleRSS(b *bench) error {
	up := fakeUpstream()
	defer up.Close()
	minimal, err := buildMinimal(b.root)
	if err != nil {
		return err
	}
	calls := scaled(b, 10000, 500)
	start, after, settled := &sample{}, &sample{}, &sample{}
	bStart, bAfter := &sample{}, &sample{}
	for i := 0; i < max(1, b.runs/3); i++ {
		e, err := newEnv(b.root, b.cco, fmt.Sprintf("rss%d", i))
		if err != nil {
			return err
		}
		e.upstream = up.URL
		d, base, err := e.foreground("--cache-size", "256MiB")
		if err != nil {
			return err
		}
		err = func() error {
			defer stop(d)
			v, err := rssMB(d.PID())
			if err != nil {
				return err
			}
			start.add(v)
			if err := distinctCalls(base, calls); err != nil {
				return err
			}
			v, err = rssMB(d.PID())
			if err != nil {
				return err
			}
			after.add(v)
			// The daemon gives free memory back once it falls quiet; wait
			// for it to say so rather than for a guessed time.
			if err := waitMetric(base+"/metrics", "cco_memory_releases_total", 1, time.Minute); err != nil {
				return err
			}
			v, err = rssMB(d.PID())
			settled.add(v)
			return err
		}()
		if err != nil {
			return err
		}
		m, mport, err := startMinimal(minimal)
		if err != nil {
			return err
		}
		v, _ := rssMB(m.PID())
		bStart.add(v)
		err = distinctCalls(fmt.Sprintf("http://127.0.0.1:%d", mport), calls)
		v, _ = rssMB(m.PID())
		bAfter.add(v)
		stop(m)
		if err != nil {
			return err
		}
	}
	b.add(newRow("idle RSS after start", "MiB", start, "≤ 25 MB").withBaseline("minimal net/http", bStart))
	b.add(newRow(fmt.Sprintf("RSS right after %d calls", calls), "MiB", after, "").withBaseline("minimal net/http", bAfter))
	b.add(newRow(fmt.Sprintf("RSS idle after %d calls", calls), "MiB", settled, "≤ 25 MB").withBaseline("minimal net/http", bAfter))
	return nil
}

// waitMetric polls a Prometheus endpoint until the named series reaches at
// least want.
func waitMetric(url, name string, want float64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		_, body, err := get(url)
		if err == nil {
			for _, line := range strings.Split(string(body), "\n") {
				if v, ok := strings.CutPrefix(line, name+" "); ok {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= want {
						return nil
					}
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not reach %g within %s", name, want, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
