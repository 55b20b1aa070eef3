//go:build linux

package platform

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bystander is a process the test owns that no cco code may ever signal.
func bystander(t *testing.T) *exec.Cmd {
	cmd := exec.Command("sleep", "600")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestLockHolderIsTheKernelsAnswer(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "daemon.lock")
	pid, err := LockHolder(lock)
	require.NoError(t, err)
	assert.Zero(t, pid, "no file, no holder")
	l, err := AcquireLock(lock)
	require.NoError(t, err)
	pid, err = LockHolder(lock)
	require.NoError(t, err)
	assert.Equal(t, os.Getpid(), pid)
	require.NoError(t, l.Release())
	pid, err = LockHolder(lock)
	require.NoError(t, err)
	assert.Zero(t, pid)
}

func TestIdentifyNeverTrustsAPidFileAlone(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, "daemon.lock")
	l, err := AcquireLock(lock)
	require.NoError(t, err)
	defer l.Release()
	by := bystander(t)

	// This test process holds the lock, but it is not `cco daemon run`:
	// a pid file naming the bystander must not make either a target.
	_, err = Identify(lock, &PidInfo{PID: by.Process.Pid})
	var idErr *IdentityError
	require.ErrorAs(t, err, &idErr)
	assert.Equal(t, by.Process.Pid, idErr.PidFilePID)
	assert.Equal(t, os.Getpid(), idErr.HolderPID)
	assert.Contains(t, err.Error(), "nothing was signalled")

	// Agreeing with the kernel, the pid file's PID is the daemon.
	d, err := Identify(lock, &PidInfo{PID: os.Getpid()})
	require.NoError(t, err)
	assert.Equal(t, os.Getpid(), d.PID)
	assert.False(t, d.PidFileWrong)
}

// TestConfirmByIdentity is what macOS and Windows rely on: the pid file's
// PID must run the executable, started at the moment, the file records.
func TestConfirmByIdentity(t *testing.T) {
	self, err := SelfIdentity()
	require.NoError(t, err)
	require.NoError(t, confirmByIdentity(&PidInfo{PID: os.Getpid(), Exe: self.Exe, Start: self.Start}))

	by := bystander(t)
	err = confirmByIdentity(&PidInfo{PID: by.Process.Pid, Exe: self.Exe, Start: self.Start})
	require.ErrorIs(t, err, ErrNotCertain)
	assert.Contains(t, err.Error(), "not the daemon that wrote it")

	err = confirmByIdentity(&PidInfo{PID: os.Getpid(), Exe: self.Exe, Start: "ticks:1"})
	require.ErrorIs(t, err, ErrNotCertain, "same executable, another start: a reused PID")
}

func TestStartPipeCarriesTheFailure(t *testing.T) {
	log := filepath.Join(t.TempDir(), "daemon.log")
	child, err := SpawnDetached(SpawnOptions{
		Exe: "/bin/sh", Args: []string{"-c", `echo "disk full while opening the log" >&"$CCO_START_FD"; exit 1`},
		Env: []string{"PATH=" + os.Getenv("PATH")}, LogPath: log,
	})
	require.NoError(t, err)
	<-child.Done()
	assert.Equal(t, "disk full while opening the log", child.Report())
}
