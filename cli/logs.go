package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/anthropics/cco/platform"
)

// followInterval is how often logs -f looks for new lines.
const followInterval = 100 * time.Millisecond

func cmdLogs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("logs", stdout)
	n := fs.IntP("lines", "n", 50, "print the last `N` lines")
	follow := fs.BoolP("follow", "f", false, "keep printing new lines (across rotation) until interrupted")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *n < 0 {
		return usageError{fmt.Sprintf("-n must be 0 or more, not %d", *n)}
	}
	paths, err := homePaths()
	if err != nil {
		return err
	}
	t, waited, err := openLogTail(ctx, paths.Log, *follow, stderr)
	if err != nil || t == nil {
		return err
	}
	defer t.Close()
	t.Notice = noticeWriter{stderr}
	// A log that appeared while waiting is new: all of it is followed.
	if !waited {
		if err := t.Last(stdout, *n, *follow); err != nil {
			return fmt.Errorf("reading %s: %w", paths.Log, err)
		}
	}
	if !*follow {
		return nil
	}
	return t.Follow(ctx, stdout, followInterval)
}

// openLogTail opens the log; a missing one is reported, and with -f
// waited for (a daemon about to start will create it). waited says so.
func openLogTail(ctx context.Context, path string, follow bool, stderr io.Writer) (t *platform.Tail, waited bool, err error) {
	t, err = platform.OpenTail(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return t, false, err
	}
	if !follow {
		fmt.Fprintf(stderr, "cco logs: there is no log at %s yet: the daemon has not run with this CCO_HOME (start it with 'cco start')\n", path)
		return nil, false, errSilent{exitFailure}
	}
	fmt.Fprintf(stderr, "cco logs: there is no log at %s yet; waiting for it (Ctrl-C to stop)\n", path)
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, true, nil
		case <-tick.C:
		}
		if t, err := platform.OpenTail(path); err == nil || !errors.Is(err, os.ErrNotExist) {
			return t, true, err
		}
	}
}

// noticeWriter prefixes the follower's remarks so they read as cco's.
type noticeWriter struct{ w io.Writer }

func (n noticeWriter) Write(p []byte) (int, error) {
	if _, err := fmt.Fprintf(n.w, "cco logs: %s", p); err != nil {
		return 0, err
	}
	return len(p), nil
}
