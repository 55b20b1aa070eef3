package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/team"
)

// statsOptions are what cco stats was asked for.
type statsOptions struct {
	from, to         time.Time
	by               string
	session, project string
	limit            int
	json             bool
}

// cmdStats shows usage and cost. It asks the running daemon (GET
// /api/stats); when none runs it reads the usage database directly, which
// holds every call the daemon has recorded.
func cmdStats(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stats", stdout)
	file := fs.String("config", "", "the config `FILE` to use instead of CCO_HOME/config.toml")
	since := fs.String("since", "24h", "start: an RFC 3339 `TIME`, or a duration back from now (24h, 90m, 7d)")
	until := fs.String("until", "", "end: an RFC 3339 `TIME`, or a duration back from now (default now)")
	var o statsOptions
	fs.StringVar(&o.by, "by", "", "group by `KIND`: "+strings.Join(analytics.GroupBys, ", ")+" (newest first)")
	fs.StringVar(&o.session, "session", "", "only this Claude Code session (its `ID`), listing its calls")
	fs.StringVar(&o.project, "project", "", "only this project: its `DIR` (the git work tree's top, as cco claude records it)")
	fs.IntVar(&o.limit, "limit", 50, "with --by: at most `N` groups, the newest")
	fs.BoolVar(&o.json, "json", false, "print the statistics as JSON (the shape of GET /api/stats)")
	teamStats := fs.Bool("team", false, "the whole team's usage, from the team database (team_url), by "+strings.Join(team.GroupBys, ", ")+" (default user)")
	if err := fs.parse(args); err != nil {
		return err
	}
	var err error
	if o.from, o.to, err = analytics.ParseRange(*since, *until, time.Now()); err != nil {
		return usageError{err.Error()}
	}
	if *teamStats {
		return cmdTeamStats(ctx, *file, o, stdout)
	}
	if o.by != "" && !slices.Contains(analytics.GroupBys, o.by) {
		return usageError{fmt.Sprintf("--by %s: group by one of %s", o.by, strings.Join(analytics.GroupBys, ", "))}
	}
	if o.limit < 1 || o.limit > analytics.MaxGroups {
		return usageError{fmt.Sprintf("--limit must be from 1 to %d, not %d", analytics.MaxGroups, o.limit)}
	}
	cfg, err := loadConfig(*file, nil)
	if err != nil {
		return err
	}
	src := statsSource(ctx, cfg, stderr)
	var out any
	if o.by != "" {
		out, err = src.groups(o)
	} else {
		out, err = src.stats(o)
	}
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(stdout, out)
	}
	switch v := out.(type) {
	case *analytics.GroupStats:
		printGroups(stdout, v, false)
	case *analytics.Stats:
		printStats(stdout, v)
	}
	return nil
}

// source answers statistics: the daemon, or the database when none runs.
type source struct {
	stats  func(statsOptions) (*analytics.Stats, error)
	groups func(statsOptions) (*analytics.GroupStats, error)
}

func (o statsOptions) query() client.StatsQuery {
	return client.StatsQuery{Since: o.from, Until: o.to, Session: o.session, Project: o.project, By: o.by, Limit: o.limit}
}

func (o statsOptions) filter() analytics.Filter {
	return analytics.Filter{Session: o.session, Project: o.project}
}

func statsSource(ctx context.Context, cfg *config.Config, stderr io.Writer) source {
	c := client.ForConfig(cfg)
	file := func(f func(*analytics.Store) (any, error)) (any, error) {
		store, err := openStatsFile(cfg, c.URL(), stderr)
		if err != nil {
			return nil, err
		}
		defer store.Close()
		return f(store)
	}
	return source{
		stats: func(o statsOptions) (*analytics.Stats, error) {
			q := o.query()
			q.By = ""
			st, err := c.Stats(ctx, q)
			if errors.Is(err, client.ErrNotRunning) {
				v, err := file(func(s *analytics.Store) (any, error) { return s.Stats(ctx, o.from, o.to, o.filter()) })
				st, _ = v.(*analytics.Stats)
				return st, err
			}
			return st, err
		},
		groups: func(o statsOptions) (*analytics.GroupStats, error) {
			gs, err := c.Groups(ctx, o.query())
			if errors.Is(err, client.ErrNotRunning) {
				v, err := file(func(s *analytics.Store) (any, error) { return s.Groups(ctx, o.by, o.from, o.to, o.filter(), o.limit) })
				gs, _ = v.(*analytics.GroupStats)
				return gs, err
			}
			return gs, err
		},
	}
}

// openStatsFile opens the usage database read-only, saying so.
func openStatsFile(cfg *config.Config, url string, stderr io.Writer) (*analytics.Store, error) {
	path := cfg.DatabasePath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "cco is not running (nothing answers at %s) and there is no usage database at %s yet; start it with 'cco start'\n", url, path)
		return nil, errNotRunning
	}
	fmt.Fprintf(stderr, "cco is not running; reading %s directly\n", path)
	return analytics.OpenReadOnly(path)
}

const timeFormat = "2006-01-02 15:04 MST"

func printStats(w io.Writer, st *analytics.Stats) {
	t := st.Totals
	switch {
	case st.Session != "":
		fmt.Fprintf(w, "Session %s, calls from %s to %s\n\n", st.Session, st.Since.Local().Format(timeFormat), st.Until.Local().Format(timeFormat))
	default:
		fmt.Fprintf(w, "Usage from %s to %s\n", st.Since.Local().Format(timeFormat), st.Until.Local().Format(timeFormat))
		if st.Project != "" {
			fmt.Fprintf(w, "Project %s\n", st.Project)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Requests  %s (%s), cache hits %s (%.1f%%), average latency %.0f ms\n",
		num(t.Requests), plural(t.Errors, "error", "errors"), num(t.CacheHits), 100*t.CacheHitRate, t.AvgLatencyMs)
	if t.Interrupted > 0 {
		fmt.Fprintf(w, "          %s interrupted (counted with the tokens the API had reported)\n", num(t.Interrupted))
	}
	fmt.Fprintf(w, "Tokens    input %s, output %s, cache read %s, cache write %s\n",
		num(t.InputTokens), num(t.OutputTokens), num(t.CacheReadTokens), num(t.CacheCreationTokens))
	fmt.Fprintf(w, "Cost      %s estimated%s; the cache saved %s tokens, %s\n",
		usd(t.CostUSD), costSplit(t.APIKeyCostUSD, t.SubscriptionCostUSD), num(t.SavedTokens), usd(t.SavedCostUSD))
	if t.UnpricedRequests > 0 {
		fmt.Fprintf(w, "          %s unpriced: a model with no known price (not $0); %s\n", plural(t.UnpricedRequests, "call", "calls"), unpricedHint)
	}
	if t.Requests == 0 {
		fmt.Fprintf(w, "\nNo calls in this period.\n")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if st.Session == "" {
		fmt.Fprintf(tw, "\nMODEL\tREQUESTS\tHITS\tINPUT\tOUTPUT\tCOST\tSAVED\n")
		for _, m := range st.Models {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orNone(m.Model), num(m.Requests), num(m.CacheHits), num(m.InputTokens), num(m.OutputTokens), cost(m.CostUSD, m.UnpricedRequests), usd(m.SavedCostUSD))
		}
		if others := otherRoutes(st.Routes); others != "" {
			fmt.Fprintf(tw, "\nOTHER CALLS\t%s\t(no model, no cost)\n", others)
		}
		fmt.Fprintf(tw, "\nDAY (UTC)\tREQUESTS\tHITS\tINPUT\tOUTPUT\tCOST\n")
		for _, d := range st.Days {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Day, num(d.Requests), num(d.CacheHits), num(d.InputTokens), num(d.OutputTokens), withUnpriced(d.CostUSD, d.UnpricedRequests))
		}
	}
	n := min(len(st.Recent), 10)
	heading := fmt.Sprintf("RECENT (%d of %d)", n, len(st.Recent))
	if st.Session != "" {
		n, heading = len(st.Recent), fmt.Sprintf("CALLS (%d, newest first)", len(st.Recent))
	}
	fmt.Fprintf(tw, "\n%s\tMODEL\tSTATUS\tCACHE\tINPUT\tOUTPUT\tLATENCY\tCOST\n", heading)
	for _, c := range st.Recent[:n] {
		status := fmt.Sprint(c.Status)
		if c.Interrupted {
			status += " interrupted"
		} else if c.ErrorType != "" {
			status += " " + c.ErrorType
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d ms\t%s\n", c.Time.Local().Format("01-02 15:04:05"), orNone(c.Model), status, c.Cache, num(c.InputTokens), num(c.OutputTokens), c.LatencyMs, cost(c.CostUSD, 0))
	}
	tw.Flush()
}

// unpricedHint is how to give a model a price.
const unpricedHint = `give it one with [prices."MODEL"] in config.toml (see the README's Prices)`

// printGroups prints grouped statistics, the local ones or the team's
// (teamWide). They come newest first, but for a team's users, machines,
// projects and models, which come costliest first.
func printGroups(w io.Writer, gs *analytics.GroupStats, teamWide bool) {
	title, order, left := "Usage", "newest first", "older"
	if teamWide {
		title = "Team usage"
		if gs.By != "day" && gs.By != "session" {
			order, left = "costliest first", "cheaper"
		}
	}
	fmt.Fprintf(w, "%s by %s from %s to %s, %s\n", title, gs.By, gs.Since.Local().Format(timeFormat), gs.Until.Local().Format(timeFormat), order)
	if len(gs.Groups) == 0 {
		fmt.Fprintf(w, "\nNo calls in this period.\n")
		return
	}
	sub := slices.ContainsFunc(gs.Groups, func(g analytics.Group) bool { return g.SubscriptionCostUSD > 0 })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "\n" + strings.ToUpper(gs.By) + "\tREQUESTS\tERRORS\tINPUT\tOUTPUT\tCACHE READ\tCACHE WRITE\tCOST"
	if sub {
		head += "\tSUBSCRIPTION (API-EQUIVALENT)"
	}
	fmt.Fprintln(tw, head+"\tFIRST\tLAST")
	unpriced := int64(0)
	for _, g := range gs.Groups {
		unpriced += g.UnpricedRequests
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", orNone(g.Key), num(g.Requests), num(g.Errors), num(g.InputTokens), num(g.OutputTokens),
			num(g.CacheReadTokens), num(g.CacheCreationTokens), groupCost(g, sub))
		if sub {
			row += "\t" + usd(g.SubscriptionCostUSD)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row, g.First.Local().Format("01-02 15:04"), g.Last.Local().Format("01-02 15:04"))
	}
	tw.Flush()
	if gs.More > 0 {
		fmt.Fprintf(w, "\n%s %s not shown (see --limit)\n", plural(int64(gs.More), "group", "groups"), left)
	}
	if unpriced > 0 {
		fmt.Fprintf(w, "\n%s unpriced: a model with no known price (not $0); %s\n", plural(unpriced, "call", "calls"), unpricedHint)
	}
}

// groupCost is a group's API-key spend (its subscription part has its own
// column when there is one).
func groupCost(g analytics.Group, sub bool) string {
	if g.CostUSD == nil {
		return "unpriced"
	}
	c := *g.CostUSD
	if sub {
		c = g.APIKeyCostUSD
	}
	return withUnpriced(c, g.UnpricedRequests)
}

// cost shows a cost that may be unknown: "unpriced", never $0.00.
func cost(c *float64, unpriced int64) string {
	if c == nil {
		return "unpriced"
	}
	return withUnpriced(*c, unpriced)
}

func withUnpriced(c float64, unpriced int64) string {
	if unpriced > 0 && c == 0 {
		return "unpriced"
	}
	if unpriced > 0 {
		return usd(c) + " + unpriced"
	}
	return usd(c)
}

// costSplit says how much of a cost is API-key spend and how much the
// API-equivalent of subscription calls, when there are both kinds.
func costSplit(apiKey, subscription float64) string {
	if subscription == 0 {
		return ""
	}
	return fmt.Sprintf(" (API keys %s; subscription %s API-equivalent, not billed per token)", usd(apiKey), usd(subscription))
}

func otherRoutes(routes []analytics.RouteStats) string {
	var parts []string
	for _, r := range routes {
		if r.Route != analytics.MessagesRoute && r.Route != "" {
			parts = append(parts, fmt.Sprintf("%s %s", r.Route, num(r.Requests)))
		}
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// plural is "1 error", "2 errors".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
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

func usd(v float64) string { return config.Dollars(v) }
