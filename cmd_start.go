package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/spf13/pflag"
)

// defaultStartWait bounds how long start waits for /ready.
const defaultStartWait = 30 * time.Second

// startFlags are the flags start and restart share.
type startFlags struct {
	fs   *pflag.FlagSet
	file *string
	wait *time.Duration
}

func addStartFlags(fs *pflag.FlagSet) startFlags {
	f := startFlags{fs: fs}
	f.file = fs.String("config", "", "config file to use instead of CCO_HOME/config.toml")
	config.AddFlags(fs, daemonFlags...)
	f.wait = fs.Duration("wait", defaultStartWait, "how long to wait for the daemon to be ready")
	return f
}

// options loads the configuration the daemon will run with (a bad one is
// exit 2, before anything is spawned) and makes the start options.
func (f startFlags) options(stderr io.Writer) (startOptions, error) {
	if *f.wait <= 0 {
		return startOptions{}, usageError{fmt.Sprintf("--wait must be a positive duration such as 30s, not %s", *f.wait)}
	}
	cfg, err := loadConfig(*f.file, f.fs)
	if err != nil {
		return startOptions{}, err
	}
	if err := config.EnsureHome(cfg.Home); err != nil {
		return startOptions{}, err
	}
	return startOptions{cfg: cfg, args: daemonArgs(f.fs, cfg), wait: *f.wait, progress: newProgress(stderr)}, nil
}

func cmdStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := addStartFlags(newFlags("start", stdout))
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return usageError{"start takes no arguments"}
	}
	o, err := f.options(stderr)
	if err != nil {
		return err
	}
	if m, ok := installedService(o.cfg); ok { // service_verbs.go
		if err := noFlagsForService(f.fs, "start", m.Kind()); err != nil {
			return err
		}
		return serviceStartOrRestart(ctx, m, pathsIn(o.cfg.Home), o.wait, false, stdout, stderr)
	}
	res, err := startDetached(ctx, o)
	o.progress.clear()
	return reportStart(o, res, err, stdout, stderr)
}

// reportStart prints the outcome of a start: the daemon's URL, pid and
// time to ready, or the reason it failed with the log's last lines.
func reportStart(o startOptions, res startResult, err error, stdout, stderr io.Writer) error {
	var se *startError
	if errors.As(err, &se) {
		fmt.Fprintf(stderr, "cco start: %s\n", se.reason)
		if len(se.log) > 0 {
			fmt.Fprintf(stderr, "last lines of %s:\n", o.cfg.LogPath())
			for _, l := range se.log {
				fmt.Fprintf(stderr, "  %s\n", l)
			}
		}
		return errSilent{exitFailure}
	}
	if err != nil {
		return err
	}
	if res.stale != nil {
		fmt.Fprintf(stdout, "removed a stale pid file (pid %d was not a running cco daemon; it was not signalled)\n", res.stale.PID)
	}
	url := infoURL(res.info)
	if res.already {
		fmt.Fprintf(stdout, "cco is already running (pid %d, %s)\n", res.info.PID, url)
		asked := o.cfg.Sources["port"] == config.SourceFlag || o.cfg.Sources["host"] == config.SourceFlag
		if asked && (res.info.Port != o.cfg.Port || res.info.Host != o.cfg.Host) {
			fmt.Fprintf(stdout, "note: it listens on %s, not %s as asked; use 'cco restart' to apply new flags\n", url, o.cfg.URL())
		}
		return nil
	}
	fmt.Fprintf(stdout, "cco started: %s (pid %d, ready in %s)\n", url, res.info.PID, seconds(res.elapsed))
	return nil
}
