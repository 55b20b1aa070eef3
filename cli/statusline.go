package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/server"
)

// Claude Code runs the status line command after every turn and shows the
// line stale until it ends, so the daemon gets a few hundred milliseconds
// and stdin a little more (it is written at once and closed).
const (
	statusLineWait = 300 * time.Millisecond
	stdinWait      = time.Second
	maxStdin       = 1 << 20
)

const statuslineDetails = `Claude Code runs it after every turn with its session as JSON on stdin; it
prints, for example:

  $0.42 session · $3.10 today · 5h 42% ↺21:00 · 7d 17%

the session's cost and today's (≈: the API-equivalent price of subscription
calls), the plan's 5-hour and weekly usage when the API reports them (with a
subscription), and a warning near a budget (budget_daily_usd,
budget_session_usd). It never starts the daemon ("cco: not running") and
always exits 0.

--install sets it in Claude Code's settings.json ($CLAUDE_CONFIG_DIR, else
~/.claude), keeping every other byte of the file; --uninstall removes it.`

// statusInput is the part of what Claude Code writes on the status line
// command's stdin that cco uses.
type statusInput struct {
	SessionID string `json:"session_id"`
}

// cmdStatusline prints the line Claude Code shows in its status line. It
// always exits 0 with a line: Claude Code hides the status line of a
// command that fails, and a broken line should say why, not vanish.
func cmdStatusline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statusline", stdout)
	install := fs.Bool("install", false, "set Claude Code's statusLine to 'cco statusline' in its settings.json")
	force := fs.Bool("force", false, "with --install: replace a statusLine that is not cco's")
	uninstall := fs.Bool("uninstall", false, "remove cco's statusLine from Claude Code's settings.json")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch {
	case *install && *uninstall:
		return usageError{"--install and --uninstall cannot be used together"}
	case *force && !*install:
		return usageError{"--force only goes with --install"}
	case *install:
		return installStatusLine(stdout, *force)
	case *uninstall:
		return uninstallStatusLine(stdout)
	}
	in, ok := readStatusInput(os.Stdin)
	fmt.Fprintln(stdout, statusLine(ctx, in, ok))
	return nil
}

// readStatusInput decodes the first JSON value on r. It does not wait for
// end of file, nor at all on a terminal (someone trying the command by
// hand), and gives up after stdinWait.
func readStatusInput(f *os.File) (statusInput, bool) {
	var in statusInput
	if f == nil || isTerminal(f) {
		return in, false
	}
	done := make(chan bool, 1)
	go func() {
		var v statusInput
		err := json.NewDecoder(io.LimitReader(f, maxStdin)).Decode(&v)
		if err == nil {
			in = v
		}
		done <- err == nil
	}()
	select {
	case ok := <-done:
		return in, ok
	case <-time.After(stdinWait):
		return statusInput{}, false
	}
}

// statusLine is the line for the session in, from the running daemon.
// It never starts the daemon: the status line runs after every turn.
func statusLine(ctx context.Context, in statusInput, inputOK bool) string {
	if why := os.Getenv(bypassEnv); why != "" {
		// cco claude could not make the daemon ready and ran Claude Code
		// without it: nothing of this session is recorded or budgeted.
		return "cco: bypassed (not recorded, no budgets): " + firstLine(why)
	}
	inputOK = inputOK && in.SessionID != ""
	paths, err := homePaths()
	if err != nil {
		return "cco: " + firstLine(err.Error())
	}
	st, err := detached.Inspect(paths)
	if err != nil {
		return "cco: " + firstLine(err.Error())
	}
	if !st.Running || st.Info == nil {
		return "cco: not running"
	}
	c := client.For(*st.Info, paths)
	sum, err := c.Summary(ctx, in.SessionID, statusLineWait)
	switch {
	case errors.Is(err, client.ErrNotRunning):
		return "cco: not running"
	case errors.Is(err, context.DeadlineExceeded):
		return "cco: not answering"
	case err != nil:
		return "cco: " + firstLine(err.Error())
	}
	var parts []string
	switch {
	case !inputOK:
		// No session to show: what Claude Code wrote was not its JSON.
	case bypassed(os.Getenv("ANTHROPIC_BASE_URL"), c.URL()):
		parts = append(parts, "session not via cco")
	default:
		parts = append(parts, spent(sum.SessionCost)+" session")
	}
	parts = append(parts, spent(sum.TodayCost)+" today")
	// The plan is the last subscription credential's: not this session's
	// when it spends through an API key.
	if !(sum.SessionCost.APIKeyUSD > 0 && sum.SessionCost.SubscriptionUSD == 0) {
		parts = append(parts, planParts(sum.Plan, time.Now())...)
	}
	if w := budgetWarning(sum.Budget); w != "" {
		parts = append(parts, w)
	}
	return strings.Join(parts, " · ")
}

// bypassed reports that Claude Code (whose ANTHROPIC_BASE_URL the command
// inherits) sends its calls somewhere else than this daemon, so cco has no
// session cost to show. Outside Claude Code (no CLAUDECODE) it cannot tell.
func bypassed(baseURL, daemon string) bool {
	if os.Getenv("CLAUDECODE") == "" {
		return false
	}
	if baseURL == "" {
		return true
	}
	u, err := url.Parse(baseURL)
	d, derr := url.Parse(daemon)
	if err != nil || derr != nil {
		return true
	}
	host := func(u *url.URL) string {
		if h := u.Hostname(); h == "localhost" || h == "::1" {
			return "127.0.0.1"
		}
		return u.Hostname()
	}
	return host(u) != host(d) || u.Port() != d.Port()
}

// spent shows a spend; ≈ marks the API-equivalent price of subscription
// calls, which is not money spent.
func spent(s server.Spend) string {
	total := s.APIKeyUSD + s.SubscriptionUSD
	out := fmt.Sprintf("$%.2f", total)
	if total > 0 && total < 0.005 {
		out = "<$0.01"
	}
	if s.SubscriptionUSD > 0 && s.APIKeyUSD == 0 {
		return "≈" + out
	}
	return out
}

// planParts are the plan's windows: the 5-hour one with its reset time,
// the weekly one, and any other at 80 % or more. A window that has reset
// since the API last said is left out: its figure is no longer true.
func planParts(p *server.Plan, now time.Time) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, w := range p.Windows {
		if w.Stale {
			continue
		}
		pct := w.Utilization * 100
		switch {
		case w.Name == "5h":
			s := fmt.Sprintf("5h %.0f%%", pct)
			if w.ResetsAt != nil && w.ResetsAt.After(now) {
				s += " ↺" + w.ResetsAt.Local().Format("15:04")
			}
			out = append(out, s)
		case w.Name == "7d" || pct >= warnAt:
			out = append(out, fmt.Sprintf("%s %.0f%%", w.Name, pct))
		}
	}
	return out
}

// warnAt is the share of a budget or plan window from which the line warns.
const warnAt = 80

func budgetWarning(b server.Budget) string {
	if b.Percent < warnAt {
		return ""
	}
	which := "daily"
	if b.SessionUSD > 0 && b.SessionSpent/b.SessionUSD*100 >= b.Percent {
		which = "session"
	}
	if b.Percent >= 100 {
		return fmt.Sprintf("⚠ %s budget spent", which)
	}
	return fmt.Sprintf("⚠ %s budget %.0f%%", which, b.Percent)
}

// firstLine keeps an error short enough for a status line.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "…"
	}
	return s
}
