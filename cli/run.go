package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// A detached start waits on this pipe for the reason a start failed:
	// the log may be what failed.
	report := platform.OpenStartReporter()
	err := runDaemon(ctx, args, stdout, stderr, report.Ready)
	report.Fail(err)
	return err
}

func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer, ready func()) error {
	fs := newFlags("run", stdout)
	file := fs.String("config", "", "the config `FILE` to use instead of CCO_HOME/config.toml")
	config.AddFlags(fs.FlagSet, daemonFlags...)
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*file, fs.FlagSet)
	if err != nil {
		return err
	}
	if daemon == nil {
		return errors.New("this build cannot run the daemon")
	}
	var term io.Writer
	if isTerminal(stderr) {
		term = stderr
		// Someone at a terminal: say once, in words, what the log line
		// says, and how to stop it.
		next := ready
		ready = func() {
			fmt.Fprintf(stderr, "cco is listening on %s (log: %s); point clients at it with ANTHROPIC_BASE_URL=%s. Ctrl-C stops it.\n",
				cfg.URL(), cfg.Paths().Log, cfg.URL())
			if next != nil {
				next()
			}
		}
	}
	return daemon(ctx, DaemonRun{
		Config: cfg,
		Reload: func() (*config.Config, error) { return loadConfig(*file, fs.FlagSet) },
		Args:   daemonArgs(fs.FlagSet, cfg),
		Term:   term,
		Build:  build,
		Ready:  ready,
	})
}
