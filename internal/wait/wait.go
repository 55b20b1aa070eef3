// Package wait is the one way cco waits for a condition: look, and look
// again every so often until it holds, the context ends or time runs out.
package wait

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTimeout is returned when the condition did not hold in time.
var ErrTimeout = errors.New("timed out")

// Until calls cond every interval until it reports done, returns an error,
// ctx ends, or limit passes (limit <= 0: no limit but ctx). The first look
// is immediate. On timeout the error wraps ErrTimeout and the last error
// cond reported alongside done=false, if any.
func Until(ctx context.Context, interval, limit time.Duration, cond func() (done bool, err error)) error {
	var deadline <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		done, err := cond()
		if done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			if err != nil {
				return fmt.Errorf("%w after %s: %w", ErrTimeout, limit, err)
			}
			return fmt.Errorf("%w after %s", ErrTimeout, limit)
		case <-tick.C:
		}
	}
}
