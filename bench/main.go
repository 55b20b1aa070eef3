// Command bench measures cco side by side with baselines run on the same
// machine in the same run, and prints ratios: absolute times on shared
// machines are noise, ratios taken interleaved are not.
//
//	go run ./bench            full run, writes bench/results.json
//	go run ./bench -quick     a few iterations, to keep the harness from rotting
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

type bench struct {
	root  string
	cco   string
	runs  int
	quick bool
	res   results
}

func (b *bench) add(r row) { b.res.Rows = append(b.res.Rows, r) }

// scaled is full for a real run, quick for the smoke run (-quick).
func scaled[T any](b *bench, full, quick T) T {
	if b.quick {
		return quick
	}
	return full
}

func main() {
	os.Exit(mainErr())
}

func mainErr() int {
	quick := flag.Bool("quick", false, "a few iterations only (the smoke run of make test)")
	runs := flag.Int("runs", 10, "runs per interleaved figure")
	out := flag.String("out", "bench/results.json", "where to write the results as JSON ('' for none)")
	only := flag.String("only", "", "run only the figure group with this name")
	flag.Parse()

	root, err := os.MkdirTemp("", "cco-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(root)
	b := &bench{root: root, runs: *runs, quick: *quick}
	if b.quick {
		b.runs = 2
	}
	b.res = results{When: time.Now().UTC(), Machine: machine(), Quick: b.quick}
	b.cco = filepath.Join(root, "cco")
	// The release build is -trimpath; the smoke run skips it, because
	// -trimpath changes every package's compile and the smoke run (in make
	// test) should reuse what the tests already compiled.
	args := []string{"build"}
	if !b.quick {
		args = append(args, "-trimpath")
	}
	build := exec.Command("go", append(args, "-ldflags=-s -w", "-o", b.cco, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: building cco:", err)
		return 1
	}
	groups := []struct {
		name string
		run  func(*bench) error
	}{
		{"binary", benchBinary},
		{"startstop", benchStartStop},
		{"status", benchStatus},
		{"rss", benchIdleRSS},
		{"overhead", benchProxyOverhead},
		{"hits", benchCacheHits},
		{"bound", benchCacheBound},
		{"recording", benchRecording},
		{"stats", benchStatsQuery},
		{"statusline", benchStatusline},
		{"claude", benchClaude},
		{"team", benchTeam},
	}
	failed := false
	for _, g := range groups {
		if *only != "" && g.name != *only {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", g.name)
		if err := g.run(b); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", g.name, err)
			failed = true
		}
	}
	b.res.print(os.Stdout)
	if *out != "" && !b.quick {
		if err := b.res.writeJSON(*out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}
