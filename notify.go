package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// sdNotifier speaks systemd's notify protocol when the daemon runs under a
// Type=notify unit (NOTIFY_SOCKET set); elsewhere every call is a no-op.
// READY=1 is sent once the listener is up, STOPPING=1 when a stop begins,
// and WATCHDOG=1 every WatchdogSec/2 while the self-check passes, so that
// a daemon that hangs is restarted, not only one that dies.
type sdNotifier struct {
	log   *slog.Logger
	check func(ctx context.Context) error
	stop  context.CancelFunc
	done  chan struct{}
}

// healthHangHook names a file whose existence makes the self-check hang:
// a test hook that simulates a hung health check for the watchdog test.
const healthHangHook = "CCO_TEST_HEALTH_HANG_FILE"

func newSDNotifier(log *slog.Logger, check func(ctx context.Context) error) *sdNotifier {
	return &sdNotifier{log: log, check: check}
}

func (n *sdNotifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("could not notify systemd", "state", state, "err", err)
	}
}

// ready tells systemd the daemon answers, and starts feeding the watchdog
// when the unit has one.
func (n *sdNotifier) ready() {
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
func (n *sdNotifier) feed(ctx context.Context, period time.Duration) {
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

// stopping tells systemd a stop is under way and stops the watchdog feed.
func (n *sdNotifier) stopping() {
	n.send(daemon.SdNotifyStopping)
	if n.stop != nil {
		n.stop()
		<-n.done
	}
}

// selfCheck is what the watchdog waits on: the test hook first, then the
// daemon's own /health answered through its listener (a wedged server
// fails it), then the health checks when they are on.
func (p *program) selfCheck(ctx context.Context) error {
	if f := os.Getenv(healthHangHook); f != "" {
		if _, err := os.Stat(f); err == nil {
			<-ctx.Done()
			return fmt.Errorf("self-check hung (test hook %s): %w", healthHangHook, ctx.Err())
		}
	}
	if err := probeHealth(ctx, p.srv.Addr()); err != nil {
		return err
	}
	if !p.srv.Healthy() {
		return errors.New("the daemon's health checks are failing (see 'cco status')")
	}
	return nil
}

// watchdogClient never goes through a proxy and keeps no idle connections.
var watchdogClient = &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

// probeHealth GETs /health on the bound address (loopback when bound to
// all interfaces).
func probeHealth(ctx context.Context, addr net.Addr) error {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return errors.New("the listener has no TCP address")
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	url := "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port)) + "/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := watchdogClient.Do(req)
	if err != nil {
		return fmt.Errorf("probing %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probing %s: status %d", url, resp.StatusCode)
	}
	return nil
}
