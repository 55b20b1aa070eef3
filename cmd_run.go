package main

import (
	"context"
	"io"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
	"github.com/kardianos/service"
)

// daemonFlags are the config keys a verb that runs the daemon accepts.
var daemonFlags = []string{"port", "host", "cache_size", "cache_ttl", "log_level"}

// serviceConfig is how cco presents itself to kardianos/service.
func serviceConfig() *service.Config {
	return &service.Config{
		Name:        "cco-daemon",
		DisplayName: "cco daemon",
		Description: "cco: local caching proxy and usage tracker for the Anthropic API",
		Arguments:   []string{"daemon", "run"},
	}
}

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
	file := fs.String("config", "", "config file to use instead of CCO_HOME/config.toml")
	config.AddFlags(fs, daemonFlags...)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"run takes no arguments"}
	}
	cfg, err := loadConfig(*file, fs)
	if err != nil {
		return err
	}
	if err := config.EnsureHome(cfg.Home); err != nil {
		return err
	}
	manager := detectManager()
	// The lock comes before the port: a second daemon must learn that one
	// runs from the lock, not from a bind error, and must not touch the log.
	life, err := acquireLifecycle(cfg, manager, daemonArgs(fs, cfg))
	if err != nil {
		return err
	}
	defer life.release()
	var term io.Writer
	if isTerminal(stderr) {
		term = stderr
	}
	log, logs, err := openLog(cfg, term)
	if err != nil {
		return err
	}
	defer logs.Close()

	applyTestHooks(log)
	prg := newProgram(cfg, log, logs, manager)
	prg.life = life
	prg.onReady = ready
	prg.reload = func() (*config.Config, error) { return loadConfig(*file, fs) }
	if err := runProgram(ctx, prg, serviceConfig()); err != nil {
		log.Error("cco daemon could not run", "err", err)
		return err
	}
	if prg.err != nil {
		return prg.err
	}
	return nil
}
