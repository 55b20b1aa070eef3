package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// row is one line of the results table: cco's figure, its baseline measured
// in the same run, and the ratio the targets are written against.
type row struct {
	Figure   string   `json:"figure"`
	Unit     string   `json:"unit"`
	Median   float64  `json:"median"`
	Min      float64  `json:"min"`
	Max      float64  `json:"max"`
	Runs     int      `json:"runs"`
	Baseline string   `json:"baseline,omitempty"`
	BaseMed  *float64 `json:"baseline_median,omitempty"`
	BaseMin  *float64 `json:"baseline_min,omitempty"`
	BaseMax  *float64 `json:"baseline_max,omitempty"`
	Ratio    *float64 `json:"ratio,omitempty"`
	Target   string   `json:"target,omitempty"`
	Note     string   `json:"note,omitempty"`
}

func newRow(figure, unit string, s *sample, target string) row {
	return row{Figure: figure, Unit: unit, Median: s.median(), Min: s.min(), Max: s.max(), Runs: len(s.vals), Target: target}
}

// withBaseline adds the baseline's figures and cco/baseline ratio.
func (r row) withBaseline(name string, b *sample) row {
	if b == nil || len(b.vals) == 0 {
		return r
	}
	med, lo, hi := b.median(), b.min(), b.max()
	r.Baseline, r.BaseMed, r.BaseMin, r.BaseMax = name, &med, &lo, &hi
	if med != 0 {
		ratio := r.Median / med
		r.Ratio = &ratio
	}
	return r
}

type results struct {
	When    time.Time `json:"when"`
	Machine string    `json:"machine"`
	Quick   bool      `json:"quick"`
	Rows    []row     `json:"rows"`
}

func machine() string {
	cpu := "unknown cpu"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d cores, %s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version())
}

func f(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func (res *results) print(w io.Writer) {
	fmt.Fprintf(w, "machine: %s\n", res.Machine)
	if res.Quick {
		// make test runs this to keep the harness working; its figures
		// come from a couple of iterations on smaller data.
		fmt.Fprintln(w, "SMOKE RUN (bench -quick): a few iterations on small data, so the figures are not measurements and")
		fmt.Fprintln(w, "are not held to their targets; 'make bench' measures.")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tcco median [min–max]\tbaseline median [min–max]\tratio\ttarget\tnote")
	for _, r := range res.Rows {
		base := "—"
		if r.BaseMed != nil {
			base = fmt.Sprintf("%s %s [%s–%s] (%s)", f(*r.BaseMed), r.Unit, f(*r.BaseMin), f(*r.BaseMax), r.Baseline)
		}
		ratio := "—"
		if r.Ratio != nil {
			ratio = fmt.Sprintf("%.2f×", *r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s %s [%s–%s] n=%d\t%s\t%s\t%s\t%s\n", r.Figure, f(r.Median), r.Unit, f(r.Min), f(r.Max), r.Runs, base, ratio, r.Target, r.Note)
	}
	tw.Flush()
}

func (res *results) writeJSON(path string) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
