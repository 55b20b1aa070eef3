package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Runner runs a service manager's command line tool (systemctl,
// launchctl). Tests inject a fake; ExecRunner is the real thing.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (stdout string, err error)
}

// ExecRunner runs commands with os/exec, found on PATH.
type ExecRunner struct{}

// CommandError is a command that ran and failed, with what it said.
type CommandError struct {
	Cmd      string
	ExitCode int
	Stderr   string
	Stdout   string
}

func (e *CommandError) Error() string {
	msg := firstLine(e.Stderr)
	if msg == "" {
		msg = firstLine(e.Stdout)
	}
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.ExitCode)
	}
	return fmt.Sprintf("%s: %s", e.Cmd, msg)
}

// Run runs name with args and returns its standard output. A missing tool
// is an error that wraps exec.ErrNotFound.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = os.Environ()
	err := cmd.Run()
	if err == nil {
		return stdout.String(), nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return stdout.String(), &CommandError{
			Cmd:      name + " " + strings.Join(args, " "),
			ExitCode: exit.ExitCode(),
			Stderr:   stderr.String(),
			Stdout:   stdout.String(),
		}
	}
	return "", fmt.Errorf("running %s: %w", name, err)
}

// firstLine is the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// exitCode is the exit status of a failed command, -1 when it did not run.
func exitCode(err error) int {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.ExitCode
	}
	return -1
}

// commandOutput is what a failed command printed, for matching.
func commandOutput(err error) string {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.Stderr + ce.Stdout
	}
	return ""
}
