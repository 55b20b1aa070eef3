package platform

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	assert.False(t, exiting(os.Getpid()), "this test is alive")

	// An exited child not yet waited for: it released its locks.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Start())
	defer cmd.Wait()
	require.NoError(t, wait.Until(t.Context(), 5*time.Millisecond, 30*time.Second, func() (bool, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		return err == nil && strings.Contains(string(b), ") Z "), nil
	}))
	assert.False(t, exiting(cmd.Process.Pid), "a zombie")
	assert.False(t, exiting(1<<22+1), "no such process")
}

// A process whose first thread has exited lists no files under
// /proc/PID/fd; its remaining thread still holds the lock, and is found.
func TestLockHolderWhoseFirstThreadExited(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build a process whose main thread exits")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "leader.c")
	require.NoError(t, os.WriteFile(src, []byte(`
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
`), 0o600))
	bin := filepath.Join(dir, "leader")
	out, err := exec.Command(cc, "-pthread", "-o", bin, src).CombinedOutput()
	require.NoError(t, err, "%s", out)

	lock := filepath.Join(dir, "daemon.lock")
	cmd := exec.Command(bin, lock)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 7)
	_, err = stdout.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "locked\n", string(buf))
	// The first thread is a zombie once it has exited.
	require.NoError(t, wait.Until(t.Context(), 5*time.Millisecond, 30*time.Second, func() (bool, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		return err == nil && strings.Contains(string(b), ") Z "), nil
	}))
	pid, err := LockHolder(lock)
	require.NoError(t, err)
	assert.Equal(t, cmd.Process.Pid, pid)
}
