//go:build linux

package platform

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notifySocket plays systemd's side of sd_notify.
func notifySocket(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return conn
}

func readNotify(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 256)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	n, err := conn.Read(buf)
	require.NoError(t, err, "no notification from the daemon")
	return string(buf[:n])
}

func assertNoNotify(t *testing.T, conn *net.UnixConn) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now()))
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	assert.Error(t, err, "unexpected notification %q", buf[:n])
}

// The watchdog is fed after each passing self-check and never after a
// failing one. The test drives each check, so nothing depends on timing.
func TestWatchdogFedOnlyWhileHealthy(t *testing.T) {
	conn := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000") // fed every 100 ms
	results := make(chan error)
	check := func(ctx context.Context) error {
		select {
		case err := <-results:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n := NewSDNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)), check)
	n.Ready()
	assert.Equal(t, "READY=1", readNotify(t, conn))

	results <- nil
	assert.Equal(t, "WATCHDOG=1", readNotify(t, conn))
	results <- errors.New("database not writable")
	results <- nil // the failing round is over once the next check runs
	assert.Equal(t, "WATCHDOG=1", readNotify(t, conn))
	results <- errors.New("still failing")
	results <- errors.New("and again")
	assertNoNotify(t, conn)

	n.Stopping()
	assert.Equal(t, "STOPPING=1", readNotify(t, conn))
	select {
	case <-n.done:
	default:
		t.Fatal("the watchdog feed still runs after stopping")
	}
}

// Without WATCHDOG_USEC there is no feed; without NOTIFY_SOCKET nothing is
// sent and nothing fails.
func TestNotifierOutsideSystemd(t *testing.T) {
	conn := notifySocket(t)
	n := NewSDNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) error {
		t.Error("self-check run without a watchdog")
		return nil
	})
	n.Ready()
	assert.Equal(t, "READY=1", readNotify(t, conn))
	n.Stopping()
	assert.Equal(t, "STOPPING=1", readNotify(t, conn))

	t.Setenv("NOTIFY_SOCKET", "")
	n = NewSDNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	n.Ready()
	n.Stopping()
}
