//go:build unix

package main

import (
	"context"

	"github.com/anthropics/cco/platform"
)

// askToStop sends SIGTERM through the process handle (a pidfd on Linux).
func askToStop(ctx context.Context, proc *platform.Process, info platform.PidInfo, paths daemonPaths) error {
	return proc.Terminate()
}

// termName is what the graceful request is called in messages.
const termName = "SIGTERM"
