package main

import "os"

// exitOnFatalUnderSCM keeps the exit status contract under the Windows
// Service Control Manager. kardianos/service's Windows Run ignores the
// RunWait hook and stops only when the SCM asks, so a fatal error would
// leave a broken daemon "running". Instead it drains and ends the process
// non-zero without reporting SERVICE_STOPPED, which the SCM treats as a
// failure and answers with the recovery action (restart after 10 s).
// This is the one os.Exit outside main, and only under the SCM.
func (p *program) exitOnFatalUnderSCM() {
	err := <-p.fatal
	p.err = err
	p.log.Error("cco daemon failing under the Windows service manager; exiting so that it restarts the service", "err", err)
	_ = p.Stop(nil)
	os.Exit(exitFailure)
}
