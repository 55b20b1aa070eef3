package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/anthropics/cco/platform"
)

// daemonStatus is what status reports. Service carries what a service
// manager adds (unit state, enabled, ...) when cco runs under one.
type daemonStatus struct {
	Running   bool       `json:"running"`
	State     string     `json:"state"` // running, starting, stopped
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
	// LastError is what ended the last run, from the log, while not running.
	LastError     string `json:"last_error,omitempty"`
	LastErrorTime string `json:"last_error_time,omitempty"`
}

// statusDetached reports on the daemon by its lock and pid file, with a
// live /health when it runs. When nothing runs it makes no request at all,
// so it answers at once.
func statusDetached(ctx context.Context, paths daemonPaths) (daemonStatus, error) {
	s := daemonStatus{State: "stopped", Config: paths.Config, Log: paths.Log, PidFile: paths.Pid}
	st, err := paths.inspect()
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
	if st.InfoErr != nil {
		s.State, s.PidFileError = "running", st.InfoErr.Error()
		// Where the kernel names the lock holder, its pid is known anyway.
		if d, err := platform.Identify(paths.Lock, nil); err == nil {
			s.PID = d.PID
		}
	}
	if info == nil {
		return s, nil
	}
	// The pid file describes the daemon only if it names the lock holder.
	d, err := platform.Identify(paths.Lock, info)
	var idErr *platform.IdentityError
	switch {
	case errors.As(err, &idErr):
		s.State, s.NotCertain = "running", idErr.Error()
		return s, nil
	case err != nil && !errors.Is(err, platform.ErrNotLocked):
		return s, err
	case d.PidFileWrong:
		s.WrongPidFile = info.PID
		s.State, s.PID, s.URL = "running", d.PID, infoURL(*info)
		s.Health = liveHealth(ctx, s.URL, d.PID)
		return s, nil
	}
	s.State, s.PID, s.URL, s.Version, s.Manager = "running", info.PID, infoURL(*info), info.Version, info.Manager
	if info.Config != "" {
		s.Config = info.Config
	}
	started := info.StartedAt
	up := int64(time.Since(started) / time.Second)
	s.StartedAt, s.UptimeS = &started, &up
	s.Health = liveHealth(ctx, s.URL, info.PID)
	return s, nil
}

// liveHealth asks the daemon's /health now.
func liveHealth(ctx context.Context, url string, pid int) string {
	var h struct {
		Status string `json:"status"`
		PID    int    `json:"pid"`
	}
	code, err := probe(ctx, url, "/health", &h)
	switch {
	case err != nil:
		return fmt.Sprintf("not answering (%v)", err)
	case code != 200:
		return fmt.Sprintf("failing (HTTP %d)", code)
	case h.PID != pid:
		return fmt.Sprintf("another process (pid %d) answers on %s", h.PID, url)
	case h.Status != "ok":
		return fmt.Sprintf("failing (status %q)", h.Status)
	}
	return "ok"
}

func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stdout)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"status takes no arguments"}
	}
	paths, err := homePaths()
	if err != nil {
		return err
	}
	s, err := statusDetached(ctx, paths)
	if err != nil {
		return err
	}
	addServiceStatus(ctx, &s, paths) // service_verbs.go
	if !s.Running {
		s.LastErrorTime, s.LastError = lastFailure(paths.Log)
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
		fmt.Fprintf(w, "cco is running (pid %d holds the lock), but daemon.pid names pid %d, which does not\n", s.PID, s.WrongPidFile)
		fmt.Fprintf(w, "  health:   %s\n", s.Health)
		fmt.Fprintln(w, "  'cco stop' stops the lock holder and never signals the pid the file names; 'cco restart' writes a correct pid file")
	case s.State == "running":
		fmt.Fprintf(w, "cco is running (pid %d) at %s\n", s.PID, s.URL)
		fmt.Fprintf(w, "  health:   %s\n", s.Health)
		fmt.Fprintf(w, "  uptime:   %s (since %s)\n", (time.Duration(*s.UptimeS) * time.Second).String(), s.StartedAt.Local().Format("2006-01-02 15:04:05 MST"))
		fmt.Fprintf(w, "  version:  %s\n", s.Version)
		fmt.Fprintf(w, "  manager:  %s\n", s.Manager)
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
	keys := make([]string, 0, len(s.Service))
	for k := range s.Service {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-9s %s\n", k+":", s.Service[k])
	}
	fmt.Fprintf(w, "  config:   %s\n", s.Config)
	fmt.Fprintf(w, "  log:      %s\n", s.Log)
}
