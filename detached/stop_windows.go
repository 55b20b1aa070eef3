package detached

import (
	"context"
	"errors"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// askToStop asks the daemon over its authenticated POST /api/shutdown:
// there is no SIGTERM on Windows. info is the confirmed daemon's own pid
// file, so the token goes only to the address the daemon itself wrote.
// A daemon that has closed its address, or cuts the request, since it was
// confirmed is stopping already (a concurrent stop asked first): it is
// waited for, and killed only if it does not exit in time.
func askToStop(ctx context.Context, proc *platform.Process, info platform.PidInfo, paths config.Paths) error {
	err := client.For(info, paths).Shutdown(ctx)
	if errors.Is(err, client.ErrNotRunning) || errors.Is(err, client.ErrNoAnswer) {
		return nil
	}
	return err
}

// TermName is what the graceful request is called in messages.
const TermName = "the shutdown request"
