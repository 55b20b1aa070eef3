//go:build unix

package detached

import (
	"context"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// askToStop sends SIGTERM through the process handle (a pidfd on Linux).
func askToStop(ctx context.Context, proc *platform.Process, info platform.PidInfo, paths config.Paths) error {
	return proc.Terminate()
}

// TermName is what the graceful request is called in messages.
const TermName = "SIGTERM"
