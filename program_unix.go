//go:build unix

package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// reloadSignals make a running daemon re-read its configuration.
var reloadSignals = []os.Signal{syscall.SIGHUP}

// libRunsLoop: on Unix kardianos's Run honours RunWait, so it is the run
// loop under every manager and in a terminal alike.
func libRunsLoop(manager string) bool { return true }

// watchFatal: the run loop (program.wait) handles fatal errors itself.
func watchFatal(p *program) {}

// applyTestHooks arms behaviours that only the end-to-end tests ask for,
// through variables no user sets. They exist because the cases they make
// testable (a daemon deaf to SIGTERM; a log busy enough to rotate) cannot
// be produced from outside in a bounded, repeatable way.
//
//   - CCO_TEST_IGNORE_SIGTERM=1: ignore SIGTERM, so that stop has to
//     escalate to SIGKILL.
//   - CCO_TEST_LOG_FLOOD=N: on SIGUSR1, log N numbered lines ("log flood"
//     seq=1..N) then "log flood done", to force rotations while a test
//     follows the log.
func applyTestHooks(log *slog.Logger) {
	if os.Getenv("CCO_TEST_IGNORE_SIGTERM") == "1" {
		signal.Ignore(syscall.SIGTERM)
		log.Warn("test hook: ignoring SIGTERM")
	}
	if n, err := strconv.Atoi(os.Getenv("CCO_TEST_LOG_FLOOD")); err == nil && n > 0 {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				for i := 1; i <= n; i++ {
					log.Info("log flood", "seq", i, "pad", fmt.Sprintf("%064d", i))
				}
				log.Info("log flood done", "lines", n)
			}
		}()
	}
}
