package platform

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// SDNotifier speaks systemd's notify protocol when the daemon runs under a
// Type=notify unit (NOTIFY_SOCKET set); elsewhere every call is a no-op.
// READY=1 is sent once the listener is up, STOPPING=1 when a stop begins,
// and WATCHDOG=1 every WatchdogSec/2 while the self-check passes, so that
// a daemon that hangs is restarted, not only one that dies.
type SDNotifier struct {
	log   *slog.Logger
	check func(ctx context.Context) error
	stop  context.CancelFunc
	done  chan struct{}
}

// NewSDNotifier makes a notifier whose watchdog is fed while check passes.
func NewSDNotifier(log *slog.Logger, check func(ctx context.Context) error) *SDNotifier {
	return &SDNotifier{log: log, check: check}
}

func (n *SDNotifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("could not notify systemd", "state", state, "err", err)
	}
}

// Ready tells systemd the daemon answers, and starts feeding the watchdog
// when the unit has one.
func (n *SDNotifier) Ready() {
	n.send(daemon.SdNotifyReady)
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("systemd watchdog settings are unreadable; not feeding it", "err", err)
		return
	}
	if interval <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop, n.done = cancel, make(chan struct{})
	go n.feed(ctx, interval/2)
	n.log.Info("feeding the systemd watchdog while the self-check passes", "every", interval/2)
}

// feed sends WATCHDOG=1 after each passing self-check. A check may take at
// most one period: a check that hangs longer counts as failing.
func (n *SDNotifier) feed(ctx context.Context, period time.Duration) {
	defer close(n.done)
	tick := time.NewTicker(period)
	defer tick.Stop()
	failing := false
	for {
		cctx, cancel := context.WithTimeout(ctx, period)
		err := n.check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			n.send(daemon.SdNotifyWatchdog)
			if failing {
				n.log.Info("self-check passes again; feeding the systemd watchdog")
			}
			failing = false
		case !failing:
			n.log.Error("self-check failing; not feeding the systemd watchdog, which restarts the daemon if this lasts", "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Stopping tells systemd a stop is under way and stops the watchdog feed.
func (n *SDNotifier) Stopping() {
	n.send(daemon.SdNotifyStopping)
	if n.stop != nil {
		n.stop()
		<-n.done
	}
}
