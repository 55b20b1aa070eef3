// Package detached runs the daemon as a detached background process: it
// spawns `cco daemon run` in its own session and waits until it is ready,
// and it stops the daemon that holds CCO_HOME's lock, never a PID merely
// named by a file. The CLI verbs report what these return.
package detached

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/wait"
	"github.com/anthropics/cco/platform"
)

// PollEvery is how often start looks for the pid file and /ready, and stop
// for the lock's release. Each look is a failed open or a lock probe, so
// looking often costs nothing and keeps a ~20 ms start or stop from waiting
// out its own timer.
const PollEvery = 5 * time.Millisecond

// Progress shows what is being waited for (on a terminal); it may be nil.
type Progress func(format string, args ...any)

func (p Progress) show(format string, args ...any) {
	if p != nil {
		p(format, args...)
	}
}

// Inspect is platform.Inspect on CCO_HOME's files; a CCO_HOME that does
// not exist yet simply means nothing runs. One that others may write is
// refused before the lock file is touched (config.CheckHome).
func Inspect(paths config.Paths) (platform.State, error) {
	if _, err := os.Stat(paths.Home); errors.Is(err, os.ErrNotExist) {
		return platform.State{}, nil
	}
	if err := config.CheckHome(paths.Home); err != nil {
		return platform.State{}, err
	}
	return platform.Inspect(paths.Lock, paths.Pid)
}

// readyAs reports whether the daemon with this PID has written its pid
// file (so it holds the lock and listens) and answers /ready. Checking the
// PID first means another program on the same port never passes for it.
func readyAs(ctx context.Context, paths config.Paths, pid int) (platform.PidInfo, bool) {
	info, err := platform.ReadPidFile(paths.Pid)
	if err != nil || info.PID != pid {
		return info, false
	}
	ok, _ := client.For(info, paths).Ready(ctx)
	return info, ok
}

// WaitReady waits until the daemon that holds the lock answers /ready (a
// daemon a service manager starts, or one that won a race to start).
func WaitReady(ctx context.Context, paths config.Paths, limit time.Duration, p Progress) (platform.PidInfo, error) {
	var info platform.PidInfo
	err := wait.Until(ctx, PollEvery, limit, func() (bool, error) {
		st, err := Inspect(paths)
		if err != nil {
			return true, err
		}
		if !st.Running {
			return true, errors.New("the daemon that was starting has exited; see 'cco logs'")
		}
		if st.Info == nil {
			return false, nil
		}
		// Only the daemon that holds the lock is reported, never whoever a
		// pid file names.
		d, err := Identify(ctx, paths, st)
		if err != nil {
			return false, err
		}
		if d.PidFileWrong {
			return true, fmt.Errorf("a cco daemon (pid %d) holds the lock, but daemon.pid names pid %d; see 'cco status'", d.PID, d.PidFilePID)
		}
		p.show("waiting for cco daemon (pid %d) to be ready ...", d.PID)
		var ok bool
		info, ok = readyAs(ctx, paths, d.PID)
		return ok, nil
	})
	if errors.Is(err, wait.ErrTimeout) {
		return info, errors.New("a cco daemon holds the lock but did not become ready in time; see 'cco status' and 'cco logs'")
	}
	return info, err
}
