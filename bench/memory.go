package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anthropics/cco/internal/testkit"
)

// minimalServer is the memory and throughput baseline: the smallest Go
// net/http server, built in the run with the same toolchain.
const minimalServer = `package main

import (
	"io"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
`

func buildMinimal(root string) (string, error) {
	dir := filepath.Join(root, "minimal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(minimalServer), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module minimal\n\ngo 1.26\n"), 0o600); err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "minimal")
	c := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, ".")
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the minimal server: %v: %s", err, out)
	}
	return exe, nil
}

func startMinimal(exe string) (*exec.Cmd, int, error) {
	port, err := testkit.FreePort()
	if err != nil {
		return nil, 0, err
	}
	c := exec.Command(exe, strconv.Itoa(port))
	if err := c.Start(); err != nil {
		return nil, 0, err
	}
	if err := waitHTTP(fmt.Sprintf("http://127.0.0.1:%d/", port), 10e9); err != nil {
		stop(c)
		return nil, 0, err
	}
	return c, port, nil
}

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
	calls := 10000
	if b.quick {
		calls = 500
	}
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
			v, err := rssMB(d.Process.Pid)
			if err != nil {
				return err
			}
			start.add(v)
			if err := distinctCalls(base, calls); err != nil {
				return err
			}
			v, err = rssMB(d.Process.Pid)
			if err != nil {
				return err
			}
			after.add(v)
			// The daemon gives free memory back once it falls quiet; wait
			// for it to say so rather than for a guessed time.
			if err := waitMetric(base+"/metrics", "cco_memory_releases_total", 1, time.Minute); err != nil {
				return err
			}
			v, err = rssMB(d.Process.Pid)
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
		v, _ := rssMB(m.Process.Pid)
		bStart.add(v)
		err = distinctCalls(fmt.Sprintf("http://127.0.0.1:%d", mport), calls)
		v, _ = rssMB(m.Process.Pid)
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
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
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
