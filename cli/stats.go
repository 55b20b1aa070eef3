package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
)

// cmdStats shows usage and cost. It asks the running daemon (GET
// /api/stats); when none runs it reads the usage database directly, which
// holds every call the daemon has recorded.
func cmdStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stats", stdout)
	file := fs.String("config", "", "config file to use instead of CCO_HOME/config.toml")
	since := fs.String("since", "24h", "start: RFC 3339 time, or a duration back from now (24h, 90m, 7d)")
	until := fs.String("until", "", "end: RFC 3339 time, or a duration back from now (default now)")
	asJSON := fs.Bool("json", false, "print the statistics as JSON (the shape of GET /api/stats)")
	if err := fs.parse(args); err != nil {
		return err
	}
	from, to, err := analytics.ParseRange(*since, *until, time.Now())
	if err != nil {
		return usageError{err.Error()}
	}
	cfg, err := loadConfig(*file, nil)
	if err != nil {
		return err
	}
	st, err := statsFromDaemon(ctx, cfg, from, to)
	if errors.Is(err, client.ErrNotRunning) {
		st, err = statsFromFile(ctx, cfg, from, to, stderr)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStats(stdout, st)
	return nil
}

func statsFromDaemon(ctx context.Context, cfg *config.Config, from, to time.Time) (*analytics.Stats, error) {
	return client.ForConfig(cfg).Stats(ctx, client.StatsQuery{Since: from, Until: to})
}

func statsFromFile(ctx context.Context, cfg *config.Config, from, to time.Time, stderr io.Writer) (*analytics.Stats, error) {
	path := cfg.DatabasePath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "cco is not running (nothing answers at %s) and there is no usage database at %s yet; start it with 'cco start'\n", client.ForConfig(cfg).URL(), path)
		return nil, errNotRunning
	}
	fmt.Fprintf(stderr, "cco is not running; reading %s directly\n", path)
	store, err := analytics.OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return store.Stats(ctx, from, to)
}

func printStats(w io.Writer, st *analytics.Stats) {
	const tf = "2006-01-02 15:04 MST"
	t := st.Totals
	fmt.Fprintf(w, "Usage from %s to %s\n\n", st.Since.Local().Format(tf), st.Until.Local().Format(tf))
	fmt.Fprintf(w, "Requests  %s (%s errors), cache hits %s (%.1f%%), average latency %.0f ms\n",
		num(t.Requests), num(t.Errors), num(t.CacheHits), 100*t.CacheHitRate, t.AvgLatencyMs)
	fmt.Fprintf(w, "Tokens    input %s, output %s, cache read %s, cache write %s\n",
		num(t.InputTokens), num(t.OutputTokens), num(t.CacheReadTokens), num(t.CacheCreationTokens))
	fmt.Fprintf(w, "Cost      %s estimated; the cache saved %s tokens, %s\n",
		usd(t.CostUSD), num(t.SavedTokens), usd(t.SavedCostUSD))
	if t.Requests == 0 {
		fmt.Fprintf(w, "\nNo calls in this period.\n")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nMODEL\tREQUESTS\tHITS\tINPUT\tOUTPUT\tCOST\tSAVED\n")
	for _, m := range st.Models {
		name := m.Model
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, num(m.Requests), num(m.CacheHits), num(m.InputTokens), num(m.OutputTokens), usd(m.CostUSD), usd(m.SavedCostUSD))
	}
	fmt.Fprintf(tw, "\nDAY (UTC)\tREQUESTS\tHITS\tINPUT\tOUTPUT\tCOST\n")
	for _, d := range st.Days {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Day, num(d.Requests), num(d.CacheHits), num(d.InputTokens), num(d.OutputTokens), usd(d.CostUSD))
	}
	n := min(len(st.Recent), 10)
	fmt.Fprintf(tw, "\nRECENT (%d of %d)\tMODEL\tSTATUS\tCACHE\tINPUT\tOUTPUT\tLATENCY\tCOST\n", n, len(st.Recent))
	for _, c := range st.Recent[:n] {
		cost := "-"
		if c.CostUSD != nil {
			cost = usd(*c.CostUSD)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d ms\t%s\n", c.Time.Local().Format("01-02 15:04:05"), c.Model, c.Status, c.Cache, num(c.InputTokens), num(c.OutputTokens), c.LatencyMs, cost)
	}
	tw.Flush()
}

// num groups digits by thousands: 1234567 -> 1,234,567.
func num(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func usd(v float64) string {
	if v != 0 && v < 0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}
