package detached

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/platform"
)

// Where the kernel cannot name the holder (macOS and Windows never can; on
// Linux the lock is held here through another name for the file), a daemon
// that has closed its address, or cuts every request, is one stopping
// already: stop waits for it to exit and signals nothing, for it cannot
// prove who it is.
func TestStopWaitsForADaemonThatNoLongerAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		port func(t *testing.T) int
	}{
		{"its address closed", closedPort},
		{"it cuts the request", cuttingPort},
	} {
		t.Run(c.name, func(t *testing.T) {
			paths, lock := unprovableDaemon(t, c.port(t))
			waiting := make(chan struct{})
			var once sync.Once
			progress := func(format string, args ...any) {
				if strings.Contains(fmt.Sprintf(format, args...), "no longer answers") {
					once.Do(func() { close(waiting) })
				}
			}
			type outcome struct {
				res StopResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := Stop(t.Context(), paths, closedGrace, progress)
				done <- outcome{res, err}
			}()
			select {
			case <-waiting:
			case o := <-done:
				t.Fatalf("stop returned before waiting: %+v, %v", o.res, o.err)
			}
			require.NoError(t, lock.Release(), "the stopping daemon exits")
			o := <-done
			require.NoError(t, o.err)
			assert.False(t, o.res.Running, "it exited by itself")
		})
	}
}

func TestStopRefusesADaemonThatNeverProvesItself(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the grace for a daemon that is stopping")
	}
	t.Parallel()
	paths, _ := unprovableDaemon(t, closedPort(t))

	res, err := Stop(t.Context(), paths, 2*closedGrace, nil)
	require.ErrorIs(t, err, platform.ErrNotCertain)
	assert.ErrorIs(t, err, client.ErrNotRunning)
	assert.Contains(t, err.Error(), "after waiting 15s for pid")
	assert.Contains(t, err.Error(), "nothing listens at its address")
	assert.Contains(t, err.Error(), "nothing was signalled")
	assert.False(t, res.Running)
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	port, err := testkit.FreePort()
	require.NoError(t, err)
	return port
}

// cuttingPort is a loopback port whose listener closes every connection
// it accepts, as a daemon shutting down does.
func cuttingPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// unprovableDaemon makes a CCO_HOME whose lock is held by this test through
// a hard link (so the kernel's lock table does not name it as this
// CCO_HOME's holder) and whose pid file names this test process, with its
// true executable and start, at port. Were it ever signalled, the test
// would die.
func unprovableDaemon(t *testing.T, port int) (config.Paths, *platform.Lock) {
	home := filepath.Join(t.TempDir(), "cco")
	require.NoError(t, os.Mkdir(home, 0o700))
	paths := config.PathsIn(home)
	link := filepath.Join(t.TempDir(), "other.lock")
	require.NoError(t, os.WriteFile(paths.Lock, nil, 0o600))
	require.NoError(t, os.Link(paths.Lock, link))
	lock, err := platform.AcquireLock(link)
	require.NoError(t, err)
	t.Cleanup(func() { lock.Release() })
	self, err := platform.SelfIdentity()
	require.NoError(t, err)
	require.NoError(t, platform.WritePidFile(paths.Pid, platform.PidInfo{
		PID: os.Getpid(), Host: "127.0.0.1", Port: port, Exe: self.Exe, Start: self.Start,
	}))
	return paths, lock
}
