package detached

import (
	"context"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// askToStop asks the daemon over its authenticated POST /api/shutdown:
// there is no SIGTERM on Windows. info is the confirmed daemon's own pid
// file, so the token goes only to the address the daemon itself wrote.
func askToStop(ctx context.Context, proc *platform.Process, info platform.PidInfo, paths config.Paths) error {
	return client.For(info, paths).Shutdown(ctx)
}

// TermName is what the graceful request is called in messages.
const TermName = "the shutdown request"
