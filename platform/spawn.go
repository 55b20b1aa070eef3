package platform

import (
	"fmt"
	"os/exec"
	"time"
)

// SpawnOptions describe a detached child.
type SpawnOptions struct {
	Exe     string
	Args    []string
	Env     []string // the whole environment
	Dir     string
	LogPath string // stdout and stderr are appended here
}

// Child is a spawned, detached process. Until Done is closed it is not
// reaped, so its PID cannot be reused and Kill is always safe.
type Child struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	report *startPipe
}

// SpawnDetached starts a process in its own session (Unix) or process group
// without a console (Windows), stdin from the null device and its output
// appended to LogPath, so it outlives the caller and its terminal.
func SpawnDetached(o SpawnOptions) (*Child, error) {
	log, err := openAppend(o.LogPath)
	if err != nil {
		return nil, fmt.Errorf("opening the log %s for the daemon's output: %w", o.LogPath, err)
	}
	defer log.Close() // the child has its own copy
	cmd := exec.Command(o.Exe, o.Args...)
	cmd.Env = o.Env
	cmd.Dir = o.Dir
	cmd.Stdin = nil // the null device
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = detachAttr()
	report, w, err := newStartPipe()
	if err != nil {
		return nil, fmt.Errorf("making the start pipe: %w", err)
	}
	passStartPipe(cmd, w)
	err = cmd.Start()
	w.Close() // the child has its own copy; ours would keep the pipe open
	if err != nil {
		report.r.Close()
		return nil, fmt.Errorf("starting %s: %w", o.Exe, err)
	}
	go report.collect()
	c := &Child{cmd: cmd, done: make(chan struct{}), report: report}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// PID of the child.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Done is closed once the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Err is how the child exited (valid once Done is closed).
func (c *Child) Err() error { return c.err }

// Report is what the child said about a failed start (through the start
// pipe), "" when it said nothing. Call it once Done is closed: the pipe
// ends with the child.
func (c *Child) Report() string {
	select {
	case <-c.report.done:
		return c.report.msg
	case <-time.After(time.Second):
		return "" // something the child started still holds the pipe
	}
}

// Kill ends the child if it still runs.
func (c *Child) Kill() error {
	select {
	case <-c.done:
		return nil
	default:
		return c.cmd.Process.Kill()
	}
}
