package server

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHealthChecksPass(t *testing.T) {
	d, _ := startProxy(t, "health_check_interval = \"50ms\"\n")
	require.Eventually(t, func() bool { return d.healthState().LastCheck != nil }, 10*time.Second, 10*time.Millisecond)
	h := d.healthState()
	require.True(t, h.ChecksEnabled)
	require.Zero(t, h.ConsecutiveFailures)
	require.True(t, d.Healthy())
	require.NoError(t, d.SelfCheck(context.Background()), "the watchdog's self-check passes too")
}

func TestBrokenDatabaseIsFatalAfterThreeChecks(t *testing.T) {
	up := newFakeUpstream(t)
	fatal := make(chan error, 1)
	d := startDaemon(t, up.URL, "health_check_interval = \"50ms\"\n", func(o *Options) {
		o.OnFatal = func(err error) { fatal <- err }
	})
	db := d.Config().DatabasePath()
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		require.NoError(t, os.Remove(f))
	}
	select {
	case err := <-fatal:
		require.ErrorContains(t, err, "health check failed 3 times in a row")
		require.ErrorContains(t, err, "was removed")
	case <-time.After(20 * time.Second):
		t.Fatal("no fatal error after the database was removed")
	}
	require.False(t, d.Healthy())
	require.Equal(t, 3, d.healthState().ConsecutiveFailures)
	require.Contains(t, d.logs.String(), "health check failed")
}

func TestHealthCheckPassesWhenAllIsWell(t *testing.T) {
	d, _ := startProxy(t, "health_checks = false\n")
	require.NoError(t, d.checkHealth(time.Second))
	require.False(t, d.healthState().ChecksEnabled)
	require.True(t, d.Healthy(), "with checks off the daemon counts as healthy (the watchdog keeps being fed)")
}
