package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

// processWait bounds a wait for a process to exit; generous for shared CI
// machines under -race, never a guess at how long an exit takes.
const processWait = 60 * time.Second

// WaitExit polls until pid no longer runs (a zombie counts as gone), or
// limit passes.
func WaitExit(pid int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for Alive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still running after %s", pid, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// KillWait sends SIGKILL to pid (see Kill) and waits until it is gone: a
// detached daemon is not the test's child, so it polls.
func KillWait(pid int) error {
	Kill(pid)
	return WaitExit(pid, processWait)
}

// Child is a process a test started, reaped by a goroutine of its own so
// that its exit can be waited on with a bound, and checked without
// blocking.
type Child struct {
	Cmd    *exec.Cmd
	exited chan struct{}
	state  *os.ProcessState
	err    error
}

// StartChild starts cmd and begins reaping it.
func StartChild(cmd *exec.Cmd) (*Child, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	c := &Child{Cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		c.state = cmd.ProcessState
		close(c.exited)
	}()
	return c, nil
}

// PID is the child's process id.
func (c *Child) PID() int { return c.Cmd.Process.Pid }

// Exited reports whether the child has exited (and been reaped).
func (c *Child) Exited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// Wait waits up to limit for the child to exit and returns its exit code
// (-1 when a signal ended it).
func (c *Child) Wait(limit time.Duration) (int, error) {
	select {
	case <-c.exited:
		return c.state.ExitCode(), nil
	case <-time.After(limit):
		return 0, fmt.Errorf("pid %d did not exit within %s", c.PID(), limit)
	}
}

// Err is what cmd.Wait returned, once the child has exited.
func (c *Child) Err() error {
	<-c.exited
	return c.err
}

// Stop ends the child: a polite signal (SIGTERM; on Windows, where there
// is none, a kill), then SIGKILL once grace has passed. It returns the
// exit code.
func (c *Child) Stop(grace time.Duration) int {
	if !c.Exited() {
		_ = terminate(c.Cmd.Process)
	}
	if code, err := c.Wait(grace); err == nil {
		return code
	}
	c.Kill()
	return c.state.ExitCode()
}

// Kill ends the child with SIGKILL and reaps it; a cleanup calls it so
// that no test leaves a process behind.
func (c *Child) Kill() {
	if !c.Exited() {
		_ = c.Cmd.Process.Kill()
	}
	<-c.exited
}
