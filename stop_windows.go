package main

import (
	"context"

	"github.com/anthropics/cco/platform"
)

// askToStop asks the daemon over its authenticated POST /api/shutdown:
// there is no SIGTERM on Windows.
func askToStop(ctx context.Context, proc *platform.Process, info platform.PidInfo, paths daemonPaths) error {
	return requestShutdown(ctx, infoURL(info), paths.Token)
}

// termName is what the graceful request is called in messages.
const termName = "the shutdown request"
