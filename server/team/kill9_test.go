//go:build unix

package team

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/anthropics/cco/server/analytics"
	"github.com/stretchr/testify/require"
)

func TestKill9NeverLosesOrDuplicates(t *testing.T) {
	pg := testkit.StartPostgres(t)
	store := openStore(t, "")
	c := connect(t, pg.URL())

	// Rows keep arriving locally the whole time, as from a busy proxy.
	stop := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		defer close(writeErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			recs := make([]analytics.Record, 1+rand.IntN(30))
			for i := range recs {
				recs[i] = analytics.Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"}
			}
			if err := store.Insert(context.Background(), recs); err != nil {
				writeErr <- err
				return
			}
			time.Sleep(time.Millisecond) // a proxy's pace, not a wait for anything
		}
	}()
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-writeErr
	})

	const kills = 8
	for i := 0; i < kills; i++ {
		before := teamCount(c, store.SourceID())
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+store.Path(), childURLEnv+"="+pg.URL())
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		// Kill it once it is shipping, at a random moment after that.
		waitFor(t, "the child to ship", func() bool { return teamCount(c, store.SourceID()) > before })
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := cmd.Wait()
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the child ended by %v, not SIGKILL", err)
	}
	close(stop)
	require.NoError(t, <-writeErr)

	// A last, undisturbed run catches up.
	total := localCount(t, store)
	sh := startShipper(t, Config{URL: pg.URL()}, store, fast)
	waitShipped(t, fmt.Sprintf("all %d rows", total), c, store.SourceID(), total)
	waitFor(t, "nothing pending", func() bool { return sh.Pending() == 0 })
	var cursor int64
	require.NoError(t, c.QueryRow(context.Background(), `SELECT shipped_id FROM cco_sources WHERE source_id = $1`, store.SourceID()).Scan(&cursor))
	require.Equal(t, total, cursor)
	t.Logf("%d rows, %d kills", total, kills)
}
