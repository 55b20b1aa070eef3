package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/detached"
)

// defaultStartWait bounds how long start waits for /ready.
const defaultStartWait = 30 * time.Second

// startFlags are the flags start and restart share.
type startFlags struct {
	fs   *flags
	file *string
	wait *time.Duration
}

func addStartFlags(fs *flags) startFlags {
	f := startFlags{fs: fs}
	f.file = fs.String("config", "", "the config `FILE` to use instead of CCO_HOME/config.toml")
	config.AddFlags(fs.FlagSet, daemonFlags...)
	f.wait = fs.Duration("wait", defaultStartWait, "how long to wait for the daemon to be ready")
	return f
}

// options loads the configuration the daemon will run with (a bad one is
// exit 2, before anything is spawned) and makes the start options.
func (f startFlags) options(stderr io.Writer) (detached.StartOptions, progressLine, error) {
	p := newProgress(stderr)
	if *f.wait <= 0 {
		return detached.StartOptions{}, p, usageError{fmt.Sprintf("--wait must be a positive duration such as 30s, not %s", *f.wait)}
	}
	cfg, err := loadConfig(*f.file, f.fs.FlagSet)
	if err != nil {
		return detached.StartOptions{}, p, err
	}
	if err := config.EnsureHome(cfg.Home); err != nil {
		return detached.StartOptions{}, p, err
	}
	return detached.StartOptions{Config: cfg, Args: daemonArgs(f.fs.FlagSet, cfg), Wait: *f.wait, Progress: p.show}, p, nil
}

func cmdStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := addStartFlags(newFlags("start", stdout))
	if err := f.fs.parse(args); err != nil {
		return err
	}
	o, p, err := f.options(stderr)
	if err != nil {
		return err
	}
	if m, ok := installedService(o.Config.Home); ok {
		if err := noFlagsForService(f.fs, "start", m.Kind()); err != nil {
			return err
		}
		return serviceStartOrRestart(ctx, m, o.Config.Paths(), o.Wait, false, stdout, stderr)
	}
	res, err := detached.Start(ctx, o)
	p.clear()
	return reportStart(o, res, err, stdout, stderr)
}

// withoutReason drops the log lines that only repeat the reason already
// printed (the daemon logs its fatal error, then prints it), so that
// what is left is news.
func withoutReason(lines []string, reason string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, reason) {
			out = append(out, l)
		}
	}
	return out
}

// reportStart prints the outcome of a start: the daemon's URL, pid and
// time to ready, or the reason it failed with the log's last lines.
func reportStart(o detached.StartOptions, res detached.StartResult, err error, stdout, stderr io.Writer) error {
	var se *detached.StartError
	if errors.As(err, &se) {
		fmt.Fprintf(stderr, "cco start: %s\n", se.Reason)
		printLines(stderr, "last lines of "+o.Config.Paths().Log+":", withoutReason(se.Log, se.Reason))
		return errSilent{exitFailure}
	}
	if err != nil {
		return err
	}
	reportStale(stdout, res.Stale)
	url := client.For(res.Info, o.Config.Paths()).URL()
	if res.Already {
		fmt.Fprintf(stdout, "cco is already running (pid %d, %s)\n", res.Info.PID, url)
		asked := o.Config.Sources["port"] == config.SourceFlag || o.Config.Sources["host"] == config.SourceFlag
		if asked && (res.Info.Port != o.Config.Port || res.Info.Host != o.Config.Host) {
			fmt.Fprintf(stdout, "note: it listens on %s, not %s as asked; use 'cco restart' to apply new flags\n", url, o.Config.URL())
		}
		return nil
	}
	fmt.Fprintf(stdout, "cco started: %s (pid %d, ready in %s)\n", url, res.Info.PID, seconds(res.Elapsed))
	return nil
}
