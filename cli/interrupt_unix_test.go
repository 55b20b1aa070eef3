//go:build unix

package cli

import (
	"bytes"
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestInterruptEndsAVerbThatIgnoresIt: a verb stuck where no context
// reaches (a blocking system call) still ends on SIGTERM, with the shell's
// exit code for it.
func TestInterruptEndsAVerbThatIgnoresIt(t *testing.T) {
	started := make(chan struct{})
	stuck := command{name: "stuck", run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		close(started)
		select {} // deaf to ctx, as a read of a FIFO was
	}}
	go func() {
		<-started
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	}()
	var errb bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- runInterruptible(stuck, nil, io.Discard, &errb) }()
	select {
	case c := <-code:
		assert.Equal(t, 128+int(syscall.SIGTERM), c)
		assert.Contains(t, errb.String(), "cco stuck: interrupted")
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupted verb was not abandoned")
	}
}
