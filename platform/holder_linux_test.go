package platform

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/wait"
)

func TestThreadsExiting(t *testing.T) {
	stat := func(state string, flags uint) string {
		return fmt.Sprintf("4321 (cco (daemon) x) %s 1 4321 4321 0 -1 %d 120 0 0 0", state, flags)
	}
	for _, c := range []struct {
		name    string
		threads []string
		want    bool
	}{
		{"running", []string{stat("S", 0x400040), stat("R", 0x40)}, false},
		{"one thread exiting, another not", []string{stat("R", 0x44), stat("S", 0x40)}, false},
		{"closing its files", []string{stat("R", 0x400044)}, true},
		{"first thread finished, last one exiting", []string{stat("Z", 0x400044), stat("D", 0x44)}, true},
		{"zombie", []string{stat("Z", 0x400044)}, false},
		{"gone", nil, false},
		{"garbled", []string{"4321 (cco"}, false},
		{"short", []string{"4321 (cco) R 1"}, false},
	} {
		assert.Equal(t, c.want, threadsExiting(c.threads), c.name)
	}
}

func TestExitingIsNeverALiveProcessOrAZombie(t *testing.T) {
	assert.False(t, processExiting(os.Getpid()), "this test is alive")

	// An exited child not yet waited for: it released its locks.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Start())
	defer cmd.Wait()
	waitZombie(t, cmd.Process.Pid)
	assert.False(t, processExiting(cmd.Process.Pid), "a zombie")
	assert.False(t, processExiting(1<<22+1), "no such process")
}

// A process whose first thread has exited lists no files under
// /proc/PID/fd; its remaining thread still holds the lock, and is found.
func TestLockHolderWhoseFirstThreadExited(t *testing.T) {
	bin := buildC(t, `
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>
static void *hold(void *p) { (void)p; pause(); return 0; }
int main(int argc, char **argv) {
	int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) return 1;
	pthread_t t;
	if (pthread_create(&t, 0, hold, 0) != 0) return 1;
	printf("locked\n");
	fflush(stdout);
	pthread_exit(0);
}
`)
	dir := t.TempDir()
	lock := filepath.Join(dir, "daemon.lock")
	cmd := startLocking(t, bin, lock)
	// The first thread is a zombie once it has exited.
	waitZombie(t, cmd.Process.Pid)
	pid, err := LockHolder(lock)
	require.NoError(t, err)
	assert.Equal(t, cmd.Process.Pid, pid)
}

// buildC compiles a C program of the test's, skipping the test when there
// is no compiler.
func buildC(t *testing.T, src string) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build the test's process")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "prog.c")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o600))
	bin := filepath.Join(dir, "prog")
	out, err := exec.Command(cc, "-pthread", "-o", bin, file).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// A process that exits with much memory spends a while dropping it, its
// files still open: its executable reads as nothing then, so it can no
// longer be told to be cco. It is named as exiting, never as the holder.
func TestLockHolderOfAProcessDroppingItsMemory(t *testing.T) {
	bin := buildC(t, `
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) return 1;
	size_t n = (size_t)1 << 30;
	char *p = malloc(n);
	if (!p) return 1;
	memset(p, 1, n);
	printf("locked\n");
	fflush(stdout);
	pause();
	return 0;
}
`)
	lock := filepath.Join(t.TempDir(), "daemon.lock")
	cmd := startLocking(t, bin, lock)
	pid := cmd.Process.Pid

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	exitingSeen := 0
	require.NoError(t, wait.Until(t.Context(), time.Millisecond, time.Minute, func() (bool, error) {
		holder, err := LockHolder(lock)
		switch {
		case errors.Is(err, ErrHolderExiting):
			exitingSeen++
			return false, nil
		case err != nil:
			return true, err
		case holder == 0:
			return true, nil // gone
		}
		require.Equal(t, pid, holder)
		if _, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err != nil {
			// Its memory is going: from now on it is exiting, not the
			// holder to be identified.
			again, err := LockHolder(lock)
			if err == nil && again == pid {
				return true, fmt.Errorf("pid %d, whose executable reads as nothing (exiting), was named the lock holder", pid)
			}
		}
		return false, nil
	}))
	t.Logf("seen exiting %d times", exitingSeen)
}

// startLocking starts bin on lock and waits for it to say it holds it.
func startLocking(t *testing.T, bin, lock string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, lock)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	return cmd
}

// waitZombie waits until pid's first thread has finished.
func waitZombie(t *testing.T, pid int) {
	t.Helper()
	require.NoError(t, wait.Until(t.Context(), 5*time.Millisecond, 30*time.Second, func() (bool, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err == nil && strings.Contains(string(b), ") Z "), nil
	}))
}
