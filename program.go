package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/logsink"
	"github.com/anthropics/cco/platform"
	"github.com/anthropics/cco/server"
	"github.com/kardianos/service"
)

// shutdownTimeout bounds the drain on stop: streams still running after it
// are cut so that a stop always finishes.
const shutdownTimeout = platform.DrainTimeout

// program runs the CCO server under kardianos/service: it is the library's
// Interface. Start returns as soon as the listener is bound; Stop drains
// and returns.
type program struct {
	cfg     *config.Config
	log     *slog.Logger
	logs    *logsink.Sink
	manager string
	version string
	reload  func() (*config.Config, error) // re-reads the config as at start
	onReady func()                         // the listener serves: tell whoever started us

	life     *lifecycle // lock and pid file
	srv      *server.Server
	fatal    chan error    // a failure that must end the process non-zero
	stopReq  chan struct{} // a clean stop asked for over HTTP
	httpStop atomic.Bool   // the stop came from stopReq
	errMu    sync.Mutex
	err      error // the fatal error that ended the run, if any
	notify   *platform.SDNotifier
}

func (p *program) Start(s service.Service) error {
	p.srv = server.New(server.Options{
		Config: p.cfg, Logger: p.log, Version: p.version, Manager: p.manager,
		LoadConfig:  p.reload,
		ApplyConfig: p.logs.Apply,
		OnFatal:     p.fail,
		OnShutdown:  p.requestStop,
	})
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
	p.notify = platform.NewSDNotifier(p.log, p.selfCheck)
	p.notify.Ready()
	if p.onReady != nil {
		p.onReady()
	}
	p.log.Info("cco daemon started", "url", p.cfg.URL(), "pid", os.Getpid(), "version", p.version, "manager", p.manager)
	for _, w := range config.UnknownEnv(os.Environ()) {
		p.log.Warn(w)
	}
	return nil
}

// Stop drains and closes the server. After a fatal error it returns that
// error, so that kardianos reports a failed stop to the Windows service
// manager, whose recovery then restarts the daemon.
func (p *program) Stop(s service.Service) error {
	fatal := p.fatalErr()
	reason := "signal"
	switch {
	case fatal != nil:
		reason = "fatal error"
	case p.httpStop.Load():
		reason = "shutdown requested over HTTP"
	}
	p.log.Info("cco daemon stopping", "reason", reason)
	if p.notify != nil {
		p.notify.Stopping()
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	p.log.Info("cco daemon stopped")
	return errors.Join(fatal, err)
}

// failed records the fatal error that ends the run; fatalErr reads it.
func (p *program) failed(err error) {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	p.err = err
	p.log.Error("cco daemon failing", "err", err)
}

func (p *program) fatalErr() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
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
// own signal handling (its RunWait option), so signals are cco's to
// interpret.
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
					_, _ = p.srv.Reload() // logged, and counted in /api/status
				}
			case err := <-p.fatal:
				p.failed(err)
				return
			}
		}
	}
}

// selfCheck is what the systemd watchdog waits on: the test hook first,
// then the server's own (its /health answered through its listener, and
// the health checks' verdict).
func (p *program) selfCheck(ctx context.Context) error {
	if f := os.Getenv(healthHangHook); f != "" {
		if _, err := os.Stat(f); err == nil {
			<-ctx.Done()
			return fmt.Errorf("self-check hung (test hook %s): %w", healthHangHook, ctx.Err())
		}
	}
	return p.srv.SelfCheck(ctx)
}

// healthHangHook names a file whose existence makes the self-check hang: a
// test hook that simulates a hung daemon for the watchdog test.
const healthHangHook = "CCO_TEST_HEALTH_HANG_FILE"

// runProgram runs prg through kardianos/service, so one code path serves a
// terminal and a service manager. Where the library cannot be the run loop
// (no service system detected, as in a bare container; Windows outside the
// Service Control Manager, where its Run ignores RunWait), the same
// Start/wait/Stop sequence runs directly.
func runProgram(ctx context.Context, prg *program) error {
	wait := prg.wait(ctx)
	svc, err := service.New(prg, platform.RunConfig(platform.InstalledName(), wait))
	if errors.Is(err, service.ErrNoServiceSystemDetected) || (err == nil && !libRunsLoop(prg.manager)) {
		if err := prg.Start(nil); err != nil {
			return err
		}
		wait()
		return prg.Stop(nil)
	}
	if err != nil {
		return err
	}
	watchFatal(prg)
	return svc.Run()
}
