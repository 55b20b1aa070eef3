package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/kardianos/service"
)

func waitProgram() *program {
	return &program{log: slog.New(slog.NewTextHandler(io.Discard, nil)), fatal: make(chan error, 1), stopReq: make(chan struct{}, 1)}
}

// returns runs cco's own loop (what runs outside the Windows SCM) and
// fails unless it returns once trigger has run.
func returns(t *testing.T, p *program, ctx context.Context, trigger func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { p.wait(ctx)(); close(done) }()
	trigger()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run loop did not return")
	}
}

func TestOwnLoopEnds(t *testing.T) {
	t.Run("stop requested over HTTP", func(t *testing.T) {
		p := waitProgram()
		returns(t, p, context.Background(), p.requestStop)
		if !p.httpStop.Load() || p.fatalErr() != nil {
			t.Fatalf("httpStop %v, fatal %v: want a clean, requested stop", p.httpStop.Load(), p.fatalErr())
		}
	})
	t.Run("signal", func(t *testing.T) {
		// Ctrl-C, Ctrl-Break (os.Interrupt on Windows) and SIGTERM cancel
		// the verb's context (cli.runInterruptible).
		p := waitProgram()
		ctx, cancel := context.WithCancel(context.Background())
		returns(t, p, ctx, cancel)
		if p.httpStop.Load() || p.fatalErr() != nil {
			t.Fatalf("httpStop %v, fatal %v: want a clean stop by signal", p.httpStop.Load(), p.fatalErr())
		}
	})
	t.Run("fatal error", func(t *testing.T) {
		p := waitProgram()
		boom := errors.New("health checks failed")
		returns(t, p, context.Background(), func() { p.fail(boom) })
		if !errors.Is(p.fatalErr(), boom) {
			t.Fatalf("fatal %v: want the error, for a non-zero exit", p.fatalErr())
		}
	})
}

// Only under the Windows SCM does kardianos's Run drive the daemon;
// elsewhere on Windows its Run ignores RunWait, so cco's loop must.
func TestLibRunsLoop(t *testing.T) {
	want := true
	if runtime.GOOS == "windows" {
		want = !service.Interactive()
	}
	for _, m := range []string{"foreground", "detached", "windows", "systemd"} {
		if got := libRunsLoop(m); got != want {
			t.Errorf("libRunsLoop(%q) = %v, want %v", m, got, want)
		}
	}
}
