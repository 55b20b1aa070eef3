package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/server"
	"github.com/spf13/pflag"
)

// cmdRestart stops the daemon and starts it again with the flags it ran
// with, overridden by any flags given here. The new configuration is
// checked before anything is stopped, so a typo never leaves cco down.
func cmdRestart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	given := addStartFlags(newFlags("restart", stdout))
	timeout := addTimeoutFlag(given.fs)
	paths, err := parseStopping(given.fs, timeout, args)
	if err != nil {
		return err
	}
	if m, ok := installedService(paths.Home); ok {
		if err := noFlagsForService(given.fs, "restart", m.Kind()); err != nil {
			return err
		}
		if _, err := loadConfig(*given.file, given.fs.FlagSet); err != nil {
			return err // a typo must not take the service down
		}
		return serviceStartOrRestart(ctx, m, paths, *given.wait, true, stdout, stderr)
	}
	st, err := detached.Inspect(paths)
	if err != nil {
		return err
	}
	// The running daemon's flags first, then the ones given now: the last
	// of a repeated flag wins. Its flags come from its pid file, so only
	// when that file is certainly its own.
	var combined []string
	if st.Info != nil {
		if d, err := detached.Identify(ctx, paths, st); err == nil && !d.PidFileWrong {
			combined = append(combined, st.Info.Args...)
		} else {
			fmt.Fprintln(stderr, "note: daemon.pid does not describe the running daemon, so its flags are not reused; give the flags to start with")
		}
	}
	combined = append(combined, rawFlagArgs(given)...)
	f := addStartFlags(newFlags("restart", stdout))
	if err := f.fs.parse(combined); err != nil {
		return fmt.Errorf("the running daemon's flags %v cannot be reused (%w); give the flags to use explicitly", combined, err)
	}
	o, p, err := f.options(stderr)
	if err != nil {
		return err
	}
	if st.Running && st.Info != nil && o.Config.Port != st.Info.Port {
		// Moving to a port that is taken would stop a working daemon for
		// nothing: ask first. (On its own port the daemon itself holds
		// it, so only a new port can be asked about.)
		if err := server.CheckListen(o.Config.Addr()); err != nil {
			return fmt.Errorf("not restarting, the daemon is left running as it was: %w", err)
		}
	}
	res, err := detached.Stop(ctx, paths, *timeout, p.show)
	p.clear()
	if err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	reportStop(res, stdout)
	started, err := detached.Start(ctx, o)
	p.clear()
	if err != nil && res.Running {
		fmt.Fprintln(stderr, "note: the old daemon was stopped and the new one did not start, so nothing is running now")
	}
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
