package main

import (
	"log/slog"
	"os"

	"github.com/anthropics/cco/platform"
	"github.com/kardianos/service"
)

// reloadSignals: Windows has no SIGHUP; 'cco reload' uses the daemon's API.
var reloadSignals []os.Signal

// libRunsLoop says whether kardianos's Run is the daemon's run loop. Only
// under the Service Control Manager: outside it the library's Run waits for
// os.Interrupt alone and ignores RunWait, so a stop asked over HTTP (how
// 'cco stop' asks on Windows) or a fatal error would never end the process.
// Asked of the SCM itself, not of the manager name, which a detached
// start's marker decides.
func libRunsLoop(manager string) bool { return !service.Interactive() }

// watchFatal keeps the exit status contract under the Service Control
// Manager, where the library's Run stops only when the SCM asks: a fatal
// error, or a stop asked over HTTP, becomes such a request. After a fatal
// error program.Stop returns it, the library reports a service-specific
// exit code, and the recovery action (a non-zero exit counts as a failure:
// see platform's install) restarts the service.
func watchFatal(p *program) {
	go func() {
		select {
		case err := <-p.fatal:
			p.failed(err)
		case <-p.stopReq:
			p.httpStop.Store(true)
		}
		if err := platform.StopService(platform.InstalledName()); err != nil {
			p.log.Error("cannot ask the Windows service manager to stop the service", "err", err)
		}
	}()
}

// applyTestHooks: the test hooks (see program_unix.go) use Unix signals
// and do not exist on Windows.
func applyTestHooks(log *slog.Logger) {}
