package main

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/anthropics/cco/cli"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/logsink"
	"github.com/anthropics/cco/platform"
	"github.com/kardianos/service"
)

// runDaemon is the run verb's daemon (cli.Daemon): it takes CCO_HOME's
// lock, opens the log and runs the program until it is asked to stop. A
// run that fails after taking the lock records why in daemon.exit, for
// 'cco status' to show while a service manager keeps restarting it.
func runDaemon(ctx context.Context, r cli.DaemonRun) error {
	cfg := r.Config
	if err := config.EnsureHome(cfg.Home); err != nil {
		return err
	}
	manager := detectManager()
	// The lock comes before the port: a second daemon must learn that one
	// runs from the lock, not from a bind error, and must not touch the log.
	life, err := acquireLifecycle(cfg, manager, r.Args, r.Build.Version)
	if err != nil {
		return err
	}
	defer life.release()
	err = run(ctx, r, life, manager)
	if err != nil {
		_ = platform.WriteLastExit(cfg.Paths().LastExit, platform.LastExit{Time: time.Now().UTC(), Error: err.Error(), PID: os.Getpid()})
	}
	return err
}

func run(ctx context.Context, r cli.DaemonRun, life *lifecycle, manager string) error {
	log, logs, err := logsink.Open(r.Config, r.Term)
	if err != nil {
		return err
	}
	defer logs.Close()
	applyTestHooks(log)
	prg := &program{
		cfg: r.Config, log: log, logs: logs, manager: manager, version: r.Build.Version, reload: r.Reload, life: life,
		fatal: make(chan error, 1), stopReq: make(chan struct{}, 1),
		onReady: func() {
			_ = platform.ClearLastExit(r.Config.Paths().LastExit)
			if r.Ready != nil {
				r.Ready()
			}
		},
	}
	if err := runProgram(ctx, prg); err != nil {
		log.Error("cco daemon could not run", "err", err)
		return err
	}
	return nil
}

// detectManager says who runs this process. service.Interactive guesses from
// the parent process, which is wrong for a detached daemon re-parented to
// PID 1, so the markers each manager sets are checked instead.
func detectManager() string {
	switch {
	case os.Getenv("CCO_MANAGER") == "detached":
		return "detached"
	case os.Getenv("NOTIFY_SOCKET") != "" || os.Getenv("INVOCATION_ID") != "":
		return "systemd"
	case runtime.GOOS == "darwin" && os.Getenv("XPC_SERVICE_NAME") != "" && os.Getenv("XPC_SERVICE_NAME") != "0":
		return "launchd"
	case runtime.GOOS == "windows" && !service.Interactive():
		return "windows"
	}
	return "foreground"
}
