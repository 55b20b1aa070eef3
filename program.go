package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server"
	"github.com/kardianos/service"
)

// shutdownTimeout bounds the drain on stop: streams still running after it
// are cut so that a stop always finishes.
const shutdownTimeout = 10 * time.Second

// program runs the CCO server under kardianos/service. Start returns as
// soon as the listener is bound; Stop drains and returns.
type program struct {
	cfg     *config.Config
	log     *slog.Logger
	logs    *logSink
	manager string
	reload  func() (*config.Config, error) // re-reads the config as at start

	life     *lifecycle // lock and pid file; nil when not managed
	srv      *server.Server
	fatal    chan error    // a failure that must end the process non-zero
	stopReq  chan struct{} // a clean stop asked for over HTTP
	httpStop atomic.Bool   // the stop came from stopReq
	err      error         // the fatal error that ended the run, if any

	notify  *sdNotifier // systemd readiness and watchdog (notify.go)
	onReady func()      // the listener serves: tell whoever started us
}

func newProgram(cfg *config.Config, log *slog.Logger, logs *logSink, manager string) *program {
	return &program{cfg: cfg, log: log, logs: logs, manager: manager, fatal: make(chan error, 1), stopReq: make(chan struct{}, 1)}
}

func (p *program) Start(s service.Service) error {
	p.srv = server.New(server.Options{
		Config: p.cfg, Logger: p.log, Version: version, Manager: p.manager,
		LoadConfig: p.reload,
		ApplyConfig: func(c *config.Config) {
			p.logs.apply(c)
			applyMemoryLimit(c, p.log)
		},
		OnFatal:    p.fail,
		OnShutdown: p.requestStop,
	})
	applyMemoryLimit(p.cfg, p.log)
	if err := p.srv.Listen(); err != nil {
		return err
	}
	if err := p.life.listening(p.srv.Addr()); err != nil {
		return err
	}
	go func() {
		if err := p.srv.Serve(); err != nil {
			p.fail(err)
		}
	}()
	p.notify = newSDNotifier(p.log, p.selfCheck)
	p.notify.ready()
	if p.onReady != nil {
		p.onReady()
	}
	p.log.Info("cco daemon started", "url", p.cfg.URL(), "pid", os.Getpid(), "version", version, "manager", p.manager)
	return nil
}

func (p *program) Stop(s service.Service) error {
	reason := stopReason(p.err)
	if p.httpStop.Load() {
		reason = "shutdown requested over HTTP"
	}
	p.log.Info("cco daemon stopping", "reason", reason)
	if p.notify != nil {
		p.notify.stopping()
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	p.log.Info("cco daemon stopped")
	return err
}

// fail records a fatal error; the wait loop turns it into a stop and the
// run into a non-zero exit, so a service manager restarts the daemon.
func (p *program) fail(err error) {
	select {
	case p.fatal <- err:
	default:
	}
}

// requestStop asks for a clean stop, as SIGTERM would (POST /api/shutdown).
func (p *program) requestStop() {
	select {
	case p.stopReq <- struct{}{}:
	default:
	}
}

// wait blocks until a signal (ctx), a stop request or a fatal error, and
// reloads the configuration on SIGHUP. kardianos calls it in place of its
// own signal handling, so signals are cco's to interpret.
func (p *program) wait(ctx context.Context) func() {
	// Caught from here on: SIGHUP's default action would end the process.
	hup := make(chan os.Signal, 1)
	if len(reloadSignals) > 0 {
		signal.Notify(hup, reloadSignals...)
	}
	return func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.stopReq:
				p.httpStop.Store(true)
				return
			case <-hup:
				if p.srv != nil {
					_, _ = p.srv.Reload() // logged either way
				}
			case err := <-p.fatal:
				p.err = err
				p.log.Error("cco daemon failing", "err", err)
				return
			}
		}
	}
}

func stopReason(err error) string {
	if err != nil {
		return "fatal error"
	}
	return "signal"
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

// runProgram runs prg through kardianos/service, so one code path serves a
// terminal and a service manager. Where the library detects no service
// system (a bare container), the same Start/wait/Stop sequence runs directly.
func runProgram(ctx context.Context, prg *program, cfg *service.Config) error {
	cfg.Option = service.KeyValue{"RunWait": prg.wait(ctx)}
	svc, err := service.New(prg, cfg)
	if errors.Is(err, service.ErrNoServiceSystemDetected) {
		if err := prg.Start(nil); err != nil {
			return err
		}
		prg.wait(ctx)()
		return prg.Stop(nil)
	}
	if err != nil {
		return err
	}
	if prg.manager == "windows" {
		go prg.exitOnFatalUnderSCM() // scm.go
	}
	return svc.Run()
}
