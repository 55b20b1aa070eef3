package platform

import (
	"os"
	"time"

	"github.com/kardianos/service"
)

// The one place that says what cco's service is called and how it is kept
// running; every service file, the Windows recovery settings and the
// daemon's own kardianos configuration are made from these.
const (
	ServiceName        = "cco-daemon"               // systemd unit (without .service), Windows service
	ServiceLabel       = "com.anthropic.cco.daemon" // launchd label and plist name
	serviceDisplayName = "cco daemon"
	serviceDescription = "cco: local caching proxy and usage tracker for the Anthropic API"

	// RestartDelay is systemd's RestartSec, launchd's ThrottleInterval and
	// the Windows recovery action's delay. (kardianos's systemd template
	// says 120 s.)
	RestartDelay = 10 * time.Second
	// RecoveryResetPeriod is when Windows forgets past failures: after a
	// day, so that a daemon that failed once last week is restarted again
	// this week.
	RecoveryResetPeriod = 24 * time.Hour
	// WatchdogInterval is systemd's WatchdogSec: the daemon feeds the
	// watchdog every half of it while its self-check passes.
	WatchdogInterval = 30 * time.Second
	// StopTimeout is how long a manager waits for a clean stop (systemd's
	// TimeoutStopSec, launchd's ExitTimeOut) before it kills the daemon.
	StopTimeout = 30 * time.Second
	// DrainTimeout is how long a stopping daemon lets calls in flight
	// finish before it cuts them, flushes the usage records and exits. It
	// is well inside StopTimeout so that a stop with a stream open ends
	// cleanly, not in a kill that loses the records.
	DrainTimeout = 10 * time.Second
)

// ServiceNameHook renames the systemd unit and the Windows service: a test
// hook, so that tests running at the same time under different user
// managers never share a unit name, and with it a cgroup. The installed
// service's unit carries it in its environment, so the daemon finds its
// own name under the Windows service manager too.
const ServiceNameHook = "CCO_SERVICE_NAME"

// InstalledName is the service's name: ServiceName, or the hook's.
func InstalledName() string {
	if n := os.Getenv(ServiceNameHook); n != "" {
		return n
	}
	return ServiceName
}

// ServiceArgs are what the service manager runs cco with.
var ServiceArgs = []string{"daemon", "run"}

// RunConfig is the kardianos configuration the daemon runs under; the
// name matters only to the Windows Service Control Manager, which
// dispatches by it. The wait replaces the library's own signal handling.
func RunConfig(name string, wait func()) *service.Config {
	return &service.Config{Name: name, DisplayName: serviceDisplayName, Description: serviceDescription, Arguments: ServiceArgs,
		Option: service.KeyValue{"RunWait": wait}}
}
