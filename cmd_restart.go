package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// cmdRestart stops the daemon and starts it again with the flags it ran
// with, overridden by any flags given here. The new configuration is
// checked before anything is stopped, so a typo never leaves cco down.
func cmdRestart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	given := addStartFlags(newFlags("restart", stdout))
	timeout := given.fs.Duration("timeout", defaultStopTimeout, "how long to wait after "+termName+" before killing the daemon")
	if err := parseFlags(given.fs, args); err != nil {
		return err
	}
	if given.fs.NArg() > 0 {
		return usageError{"restart takes no arguments"}
	}
	if *timeout <= 0 {
		return usageError{fmt.Sprintf("--timeout must be a positive duration such as 10s, not %s", *timeout)}
	}
	paths, err := homePaths()
	if err != nil {
		return err
	}
	if m, ok := routedService(paths); ok { // service_verbs.go
		if err := noFlagsForService(given.fs, "restart", m.Kind()); err != nil {
			return err
		}
		if _, err := loadConfig(*given.file, given.fs); err != nil {
			return err // a typo must not take the service down
		}
		return serviceStartOrRestart(ctx, m, paths, *given.wait, true, stdout, stderr)
	}
	st, err := paths.inspect()
	if err != nil {
		return err
	}
	// The running daemon's flags first, then the ones given now: the last
	// of a repeated flag wins.
	var combined []string
	if st.Info != nil {
		combined = append(combined, st.Info.Args...)
	}
	combined = append(combined, rawFlagArgs(given)...)
	f := addStartFlags(newFlags("restart", stdout))
	if err := parseFlags(f.fs, combined); err != nil {
		return fmt.Errorf("the running daemon's flags %v cannot be reused (%w); give the flags to use explicitly", combined, err)
	}
	o, err := f.options(stderr)
	if err != nil {
		return err
	}

	res, err := stopDetached(ctx, paths, *timeout, o.progress)
	o.progress.clear()
	if err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	reportStop(res, stdout)
	started, err := startDetached(ctx, o)
	o.progress.clear()
	return reportStart(o, started, err, stdout, stderr)
}

// rawFlagArgs are the start flags given on this command line, --wait
// included, as arguments.
func rawFlagArgs(f startFlags) []string {
	out := []string{}
	f.fs.Visit(func(fl *pflag.Flag) {
		if fl.Name != "timeout" {
			out = append(out, "--"+fl.Name+"="+fl.Value.String())
		}
	})
	return out
}
