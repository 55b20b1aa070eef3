//go:build linux

package platform

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
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

	// Even agreeing with the kernel, a holder that is not cco's daemon is
	// never the target.
	_, err = Identify(lock, &PidInfo{PID: os.Getpid()})
	require.ErrorAs(t, err, &idErr)
	assert.Contains(t, err.Error(), "which is not a cco daemon")
}

// The holder /proc/locks lists must have this very lock file open: not a
// hard link to it elsewhere, and not a process that took the lock and left
// it to a child when it exited.
func TestLockHolderIsTheProcessWithTheFileOpen(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, "daemon.lock")
	l, err := AcquireLock(lock)
	require.NoError(t, err)
	link := filepath.Join(dir, "clone.lock")
	require.NoError(t, os.Link(lock, link))
	_, err = LockHolder(link)
	assert.ErrorIs(t, err, ErrHolderUnknown, "a hard link is another path to the lock, not this CCO_HOME's lock")
	require.NoError(t, l.Release())

	// flock takes the lock and exits, leaving it to the sleep it started.
	out, err := exec.Command("flock", "-x", lock, "sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $!").Output()
	require.NoError(t, err)
	var child int
	_, err = fmt.Sscan(string(out), &child)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	pid, err := LockHolder(lock)
	if err == nil {
		assert.Equal(t, child, pid, "whoever is named must hold the file")
	} else {
		assert.ErrorIs(t, err, ErrHolderUnknown, "the process /proc/locks names has exited: the holder is unknown, never guessed")
	}
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
