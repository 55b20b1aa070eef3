package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/platform"
	"github.com/anthropics/cco/server"
	"github.com/anthropics/cco/server/team"
)

// daemonStatus is what status reports. Service carries what a service
// manager adds (unit state, enabled, ...) when cco runs under one.
type daemonStatus struct {
	Running   bool       `json:"running"`
	State     string     `json:"state"` // running, starting, stopping, stopped
	PID       int        `json:"pid,omitempty"`
	URL       string     `json:"url,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	UptimeS   *int64     `json:"uptime_s,omitempty"`
	Version   string     `json:"version,omitempty"`
	Health    string     `json:"health,omitempty"`
	Manager   string     `json:"manager,omitempty"`
	Config    string     `json:"config"`
	Log       string     `json:"log"`
	PidFile   string     `json:"pid_file"`
	StalePID  int        `json:"stale_pid_removed,omitempty"`
	// StaleUnreadable: a stale pid file that did not parse was removed.
	StaleUnreadable bool `json:"stale_pid_file_unreadable_removed,omitempty"`
	// PidFileError: a daemon runs, but its pid file does not parse.
	PidFileError string `json:"pid_file_error,omitempty"`
	// NotCertain: a daemon runs, but which process it is cannot be
	// established (the pid file names another process), with why.
	NotCertain string `json:"identity_error,omitempty"`
	// WrongPidFile: the PID daemon.pid names, when the kernel says another
	// process (PID) holds the lock.
	WrongPidFile int               `json:"pid_file_names_other_pid,omitempty"`
	Service      map[string]string `json:"service,omitempty"`
	// LastError is what ended the last run (daemon.exit), while not running.
	LastError     string `json:"last_error,omitempty"`
	LastErrorTime string `json:"last_error_time,omitempty"`
	// ConfigError: the config file does not load, so the next start (or
	// reload) will fail.
	ConfigError string `json:"config_error,omitempty"`
	// PendingRestart lists settings changed and reloaded that take effect
	// only at the next restart.
	PendingRestart []string `json:"pending_restart,omitempty"`
	// Plan is the subscription plan's usage as the API last reported it.
	Plan   *server.Plan       `json:"plan,omitempty"`
	Prices *server.PricesInfo `json:"prices,omitempty"`
	// Team is the shipping to team_url, when it is set.
	Team *team.Status `json:"team,omitempty"`
}

// statusDetached reports on the daemon by its lock and pid file, with a
// live /health when it runs. When nothing runs it makes no request at all,
// so it answers at once.
func statusDetached(ctx context.Context, paths config.Paths) (daemonStatus, error) {
	s := daemonStatus{State: "stopped", Config: paths.Config, Log: paths.Log, PidFile: paths.Pid}
	st, err := detached.Inspect(paths)
	if err != nil {
		return s, err
	}
	if st.Stale != nil {
		s.StalePID = st.Stale.PID
	}
	s.StaleUnreadable = st.StaleUnreadable
	if !st.Running {
		return s, nil
	}
	s.Running, s.State = true, "starting"
	info := st.Info
	if info == nil {
		// Where the kernel names the lock holder, its pid is known whatever
		// the pid file says, and so is a holder that is exiting (it may
		// have removed its pid file already).
		holder, err := platform.Identify(paths.Lock, nil)
		switch {
		case errors.Is(err, platform.ErrNotLocked):
			s.State = "stopping"
		case st.InfoErr != nil:
			s.State, s.PidFileError = "running", st.InfoErr.Error()
			if err == nil {
				s.PID = holder.PID
			}
		}
		return s, nil
	}
	// The pid file describes the daemon only if it names the lock holder.
	d, err := detached.Identify(ctx, paths, st)
	var idErr *platform.IdentityError
	switch {
	case errors.As(err, &idErr):
		s.State, s.NotCertain = "running", idErr.Error()
		return s, nil
	case errors.Is(err, platform.ErrNotLocked):
		s.State = "stopping"
		return s, nil
	case err != nil:
		return s, err
	case d.PidFileWrong:
		// The file's address may be as wrong as its PID: the daemon is
		// asked there, and shown only when it answers as itself.
		s.WrongPidFile = info.PID
		s.State, s.PID = "running", d.PID
		c := client.For(*info, paths)
		if s.Health = liveHealth(ctx, c, d.PID); s.Health == "ok" {
			s.URL = c.URL()
			return s, nil
		}
		// Then where the configuration says it listens.
		if cfg, err := locateConfig(""); err == nil {
			c = client.ForConfig(cfg)
			if liveHealth(ctx, c, d.PID) == "ok" {
				s.Health, s.URL = "ok", c.URL()
				return s, nil
			}
		}
		s.Health = "unknown (it does not answer at daemon.pid's address, which is not to be trusted, nor at the configured one)"
		return s, nil
	}
	c := client.For(*info, paths)
	s.State, s.PID, s.URL, s.Version, s.Manager = "running", info.PID, c.URL(), info.Version, info.Manager
	if info.Config != "" {
		s.Config = info.Config
	}
	if started := info.StartedAt; !started.IsZero() {
		up := int64(time.Since(started) / time.Second)
		s.StartedAt, s.UptimeS = &started, &up
	}
	s.Health = liveHealth(ctx, c, info.PID)
	if s.Health == "ok" {
		if api, err := c.Status(ctx); err == nil {
			s.PendingRestart, s.Plan, s.Prices, s.Team = api.Reload.PendingRestart, api.Plan, &api.Prices, api.Team
		}
	}
	return s, nil
}

// liveHealth asks the daemon's /health now.
func liveHealth(ctx context.Context, c *client.Client, pid int) string {
	h, err := c.Health(ctx)
	var ae *client.APIError
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("failing (HTTP %d)", ae.Status)
	case err != nil:
		return fmt.Sprintf("not answering (%v)", err)
	case h.PID != pid:
		return fmt.Sprintf("another process (pid %d) answers on %s", h.PID, c.URL())
	case h.Status != "ok":
		return fmt.Sprintf("failing (status %q)", h.Status)
	}
	return "ok"
}

func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stdout)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := fs.parse(args); err != nil {
		return err
	}
	paths, err := homePaths()
	if err != nil {
		return err
	}
	s, err := statusDetached(ctx, paths)
	if err != nil {
		return err
	}
	addServiceStatus(ctx, &s, paths)
	if !s.Running {
		if e, err := platform.ReadLastExit(paths.LastExit); err == nil && e != nil {
			s.LastErrorTime, s.LastError = e.Time.Local().Format("2006-01-02 15:04:05"), e.Error
		}
	}
	if _, err := loadConfig("", nil); err != nil {
		s.ConfigError = err.Error()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return err
		}
	} else {
		printStatus(stdout, s)
	}
	if !s.Running {
		return errNotRunning
	}
	return nil
}

func printStatus(w io.Writer, s daemonStatus) {
	switch {
	case s.PidFileError != "" && s.PID != 0:
		fmt.Fprintf(w, "cco is running (pid %d holds the lock), but its pid file is unreadable, so its URL is unknown\n", s.PID)
		fmt.Fprintf(w, "  pid file: %s\n", s.PidFileError)
		fmt.Fprintln(w, "  'cco stop' stops the lock holder; 'cco restart' writes a new pid file")
	case s.PidFileError != "":
		fmt.Fprintln(w, "cco is running (a daemon holds the lock), but its pid file is unreadable, so its pid and URL are unknown")
		fmt.Fprintf(w, "  pid file: %s\n", s.PidFileError)
		fmt.Fprintln(w, "  nothing is signalled on the word of a damaged pid file; stop the daemon by its pid (see 'fuser "+"daemon.lock' in CCO_HOME), then start it again")
	case s.NotCertain != "":
		fmt.Fprintln(w, "cco is running (a process holds daemon.lock), but which process is not certain:")
		fmt.Fprintf(w, "  %s\n", s.NotCertain)
	case s.WrongPidFile != 0:
		fmt.Fprintf(w, "cco is running (pid %d holds the lock), but daemon.pid names pid %d, which is not the daemon\n", s.PID, s.WrongPidFile)
		fmt.Fprintf(w, "  health:   %s\n", s.Health)
		fmt.Fprintln(w, "  'cco stop' stops the lock holder and never signals the pid the file names; 'cco restart' writes a correct pid file")
	case s.State == "running":
		fmt.Fprintf(w, "cco is running (pid %d) at %s\n", s.PID, s.URL)
		fmt.Fprintf(w, "  health:   %s\n", s.Health)
		if s.UptimeS != nil {
			fmt.Fprintf(w, "  uptime:   %s (since %s)\n", (time.Duration(*s.UptimeS) * time.Second).String(), s.StartedAt.Local().Format("2006-01-02 15:04:05 MST"))
		}
		fmt.Fprintf(w, "  version:  %s\n", s.Version)
		fmt.Fprintf(w, "  manager:  %s\n", s.Manager)
		if s.Plan != nil {
			fmt.Fprintf(w, "  plan:     %s\n", planLine(*s.Plan, time.Now()))
		}
		if s.Prices != nil {
			fmt.Fprintf(w, "  prices:   %s %s (%s)\n", s.Prices.Source, s.Prices.Version, s.Prices.Date)
		}
		if s.Team != nil {
			fmt.Fprintf(w, "  team:     %s\n", strings.TrimPrefix(s.Team.String(), "team: "))
		}
		if len(s.PendingRestart) > 0 {
			fmt.Fprintf(w, "  pending:  %s changed and reloaded, but take effect only after 'cco restart'\n", strings.Join(s.PendingRestart, ", "))
		}
	case s.State == "stopping":
		fmt.Fprintln(w, "cco is stopping (the daemon holding the lock is exiting)")
	case s.State == "starting":
		fmt.Fprintln(w, "cco is starting (it holds the lock but is not listening yet)")
	default:
		fmt.Fprintln(w, "cco is not running")
		if s.StalePID != 0 {
			fmt.Fprintf(w, "  removed a stale pid file (pid %d was not a running cco daemon; it was not signalled)\n", s.StalePID)
		}
		if s.StaleUnreadable {
			fmt.Fprintf(w, "  removed an unreadable stale pid file %s (no daemon held the lock; nothing was signalled)\n", s.PidFile)
		}
		if s.LastError != "" {
			fmt.Fprintf(w, "  last run failed (%s): %s\n", s.LastErrorTime, s.LastError)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Service)) {
		fmt.Fprintf(w, "  %-9s %s\n", k+":", s.Service[k])
	}
	fmt.Fprintf(w, "  config:   %s\n", s.Config)
	if s.ConfigError != "" {
		fmt.Fprintf(w, "  warning:  the config file does not load, so the next start or reload will fail:\n    %s\n", strings.ReplaceAll(s.ConfigError, "\n", "\n    "))
	}
	fmt.Fprintf(w, "  log:      %s\n", s.Log)
}

// planLine is the plan's windows as a person reads them:
// "5h 42% (resets 21:00), 7d 17% (resets Sat 09:00)".
func planLine(p server.Plan, now time.Time) string {
	var parts []string
	for _, w := range p.Windows {
		part := fmt.Sprintf("%s %.0f%%", w.Name, 100*w.Utilization)
		switch {
		case w.Stale:
			part += fmt.Sprintf(" (as of %s; it has reset since)", when(p.SeenAt, now))
		case w.ResetsAt != nil:
			part += fmt.Sprintf(" (resets %s)", when(*w.ResetsAt, now))
		}
		if w.Status != "" && w.Status != "allowed" {
			part += " " + strings.ReplaceAll(w.Status, "_", " ")
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "status " + p.Status
	}
	return strings.Join(parts, ", ")
}

// when is a time near now in local time: 21:00 today, Sat 09:00 this
// week, Jan 2 09:00 beyond.
func when(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Sub(now).Abs() < 6*24*time.Hour:
		return t.Format("Mon 15:04")
	}
	return t.Format("Jan 2 15:04")
}
