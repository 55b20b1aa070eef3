package detached

import (
	"context"
	"errors"
	"fmt"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// Identify establishes which process is the daemon holding CCO_HOME's
// lock (platform.Identify). Where the OS cannot name the lock holder, the
// process the pid file names must also prove, at the address the file
// gives, that it knows this CCO_HOME's token: a copy of another daemon's
// pid file, with its genuine executable and start time, fails there.
func Identify(ctx context.Context, paths config.Paths, st platform.State) (platform.Daemon, error) {
	d, err := platform.Identify(paths.Lock, st.Info)
	if err != nil || d.ByKernel {
		return d, err
	}
	id, err := client.For(*st.Info, paths).Prove(ctx)
	if err != nil {
		why := fmt.Sprintf("the daemon at %s:%d does not prove it is this CCO_HOME's (%v)", st.Info.Host, st.Info.Port, err)
		switch {
		case errors.Is(err, client.ErrNotRunning):
			why = fmt.Sprintf("nothing listens at its address %s:%d, so it cannot prove it is this CCO_HOME's daemon", st.Info.Host, st.Info.Port)
		case errors.Is(err, client.ErrNoAnswer):
			why = fmt.Sprintf("it cut the request at %s:%d to prove it is this CCO_HOME's daemon", st.Info.Host, st.Info.Port)
		}
		return d, &platform.IdentityError{PidFilePID: st.Info.PID, Msg: fmt.Sprintf(
			"daemon.pid names pid %d, which runs cco, but %s; nothing was signalled: if pid %d is the cco daemon, stop it yourself, then run 'cco status'",
			st.Info.PID, why, st.Info.PID), Err: err}
	}
	if id.PID != st.Info.PID {
		return d, &platform.IdentityError{PidFilePID: st.Info.PID, HolderPID: id.PID, Msg: fmt.Sprintf(
			"daemon.pid names pid %d, but the daemon of this CCO_HOME answering at %s:%d is pid %d; nothing was signalled: run 'cco status'",
			st.Info.PID, st.Info.Host, st.Info.Port, id.PID)}
	}
	d.How += ", and its proof that it knows CCO_HOME's token"
	return d, nil
}
