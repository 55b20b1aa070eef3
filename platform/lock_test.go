package platform

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lockPaths(t *testing.T) (lock, pid string) {
	dir := t.TempDir()
	return filepath.Join(dir, "daemon.lock"), filepath.Join(dir, "daemon.pid")
}

func TestLockIsExclusive(t *testing.T) {
	lockPath, _ := lockPaths(t)
	l, err := AcquireLock(lockPath)
	require.NoError(t, err)

	// A second holder (flock locks belong to open files, so this process
	// can play both) is refused; it knows a daemon holds the lock, so it
	// does not retry.
	held, err := heldExclusively(lockPath)
	require.NoError(t, err)
	assert.True(t, held)
	_, err = AcquireLock(lockPath)
	assert.ErrorIs(t, err, ErrLocked)

	require.NoError(t, l.Release())
	l2, err := AcquireLock(lockPath)
	require.NoError(t, err, "free again after release")
	require.NoError(t, l2.Release())
	assert.NoError(t, (*Lock)(nil).Release())
}

func TestProbesDoNotLookLikeADaemon(t *testing.T) {
	lockPath, _ := lockPaths(t)
	probe := flock.New(lockPath)
	ok, err := probe.TryRLock()
	require.NoError(t, err)
	require.True(t, ok)

	held, err := heldExclusively(lockPath)
	require.NoError(t, err)
	assert.False(t, held, "a shared probe is not a daemon")

	got := make(chan error, 1)
	go func() {
		l, err := AcquireLock(lockPath)
		if err == nil {
			err = l.Release()
		}
		got <- err
	}()
	require.NoError(t, probe.Unlock())
	assert.NoError(t, <-got, "a daemon starting while a probe looks still gets the lock")
}

func TestInspect(t *testing.T) {
	lockPath, pidPath := lockPaths(t)

	st, err := Inspect(lockPath, pidPath)
	require.NoError(t, err)
	assert.Equal(t, State{}, st, "nothing there: not running, nothing stale")

	l, err := AcquireLock(lockPath)
	require.NoError(t, err)
	st, err = Inspect(lockPath, pidPath)
	require.NoError(t, err)
	assert.True(t, st.Running)
	assert.Nil(t, st.Info, "locked without a pid file: starting")

	info := PidInfo{PID: os.Getpid(), StartedAt: time.Now().UTC().Truncate(time.Second), Host: "127.0.0.1", Port: 3000, Version: "v1", Exe: "/bin/cco", Manager: "detached", Args: []string{"--port=3000"}}
	require.NoError(t, WritePidFile(pidPath, info))
	st, err = Inspect(lockPath, pidPath)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.NotNil(t, st.Info)
	assert.Equal(t, info, *st.Info)
	assert.FileExists(t, pidPath, "a live daemon's pid file is left alone")

	// The daemon dies without cleaning up: its pid file is stale.
	require.NoError(t, l.Release())
	st, err = Inspect(lockPath, pidPath)
	require.NoError(t, err)
	assert.False(t, st.Running)
	require.NotNil(t, st.Stale)
	assert.Equal(t, info.PID, st.Stale.PID)
	assert.NoFileExists(t, pidPath)

	// Garbage in the pid file is stale too, and removed.
	require.NoError(t, os.WriteFile(pidPath, []byte("{not json"), 0o600))
	st, err = Inspect(lockPath, pidPath)
	require.NoError(t, err)
	assert.True(t, st.StaleUnreadable)
	assert.NoFileExists(t, pidPath)
}

func TestPidFile(t *testing.T) {
	_, pidPath := lockPaths(t)
	_, err := ReadPidFile(pidPath)
	assert.True(t, errors.Is(err, os.ErrNotExist))

	info := PidInfo{PID: 42, StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Host: "::1", Port: 1, Version: "v", Exe: "e", Manager: "systemd"}
	require.NoError(t, WritePidFile(pidPath, info))
	fi, err := os.Stat(pidPath)
	require.NoError(t, err)
	assert.Equal(t, privateFile, fi.Mode().Perm())
	data, err := os.ReadFile(pidPath)
	require.NoError(t, err)
	for _, field := range []string{`"pid": 42`, `"started_at": "2026-01-02T03:04:05Z"`, `"host": "::1"`, `"port": 1`, `"version": "v"`, `"exe": "e"`, `"manager": "systemd"`} {
		assert.Contains(t, string(data), field)
	}
	got, err := ReadPidFile(pidPath)
	require.NoError(t, err)
	assert.Equal(t, info, got)

	require.NoError(t, os.WriteFile(pidPath, []byte(`{"pid": 0}`), 0o600))
	_, err = ReadPidFile(pidPath)
	assert.ErrorContains(t, err, "no valid pid")

	require.NoError(t, RemovePidFile(pidPath))
	require.NoError(t, RemovePidFile(pidPath), "removing twice is fine")
}
