package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server"
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"stats takes no arguments"}
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
	if errors.Is(err, errDaemonDown) {
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

var errDaemonDown = errors.New("the daemon is not running")

func statsFromDaemon(ctx context.Context, cfg *config.Config, from, to time.Time) (*analytics.Stats, error) {
	q := url.Values{"since": {from.UTC().Format(time.RFC3339Nano)}, "until": {to.UTC().Format(time.RFC3339Nano)}}
	var st analytics.Stats
	if err := daemonRequest(ctx, cfg, http.MethodGet, "/api/stats?"+q.Encode(), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func statsFromFile(ctx context.Context, cfg *config.Config, from, to time.Time, stderr io.Writer) (*analytics.Stats, error) {
	path := cfg.DatabasePath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "cco is not running (nothing answers at %s) and there is no usage database at %s yet; start it with 'cco daemon start'\n", daemonURL(cfg), path)
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

// daemonRequest calls the running daemon with its token and decodes the
// JSON answer into out. errDaemonDown means nothing listens.
func daemonRequest(ctx context.Context, cfg *config.Config, method, path string, out any) error {
	base := daemonURL(cfg)
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		return err
	}
	if tok, err := server.ReadToken(cfg.TokenPath()); err == nil {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		// Nothing accepted the connection: no daemon listens there.
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return errDaemonDown
		}
		return fmt.Errorf("asking the daemon at %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return &daemonError{status: resp.StatusCode, msg: e.Error.Message}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the daemon's answer to %s: %w", path, err)
	}
	return nil
}

// daemonURL is where the running daemon listens: the address in its pid
// file when there is one (the config may have changed since it started),
// else the configured one.
func daemonURL(cfg *config.Config) string {
	data, err := os.ReadFile(cfg.PidPath())
	if err != nil {
		return cfg.URL()
	}
	var pf struct {
		Host string `json:"host"`
		Port int    `json:"port"`
	}
	if json.Unmarshal(data, &pf) != nil || pf.Port <= 0 || pf.Host == "" {
		return cfg.URL()
	}
	c := *cfg
	c.Host, c.Port = pf.Host, pf.Port
	return c.URL()
}

// daemonError is an error answer from the daemon.
type daemonError struct {
	status int
	msg    string
}

func (e *daemonError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("the daemon answered with status %d", e.status)
	}
	return fmt.Sprintf("the daemon answered %d: %s", e.status, e.msg)
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
