package wait

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestUntil(t *testing.T) {
	n := 0
	err := Until(context.Background(), time.Millisecond, time.Minute, func() (bool, error) { n++; return n == 3, nil })
	assert.NoError(t, err)
	assert.Equal(t, 3, n)

	boom := errors.New("boom")
	err = Until(context.Background(), time.Millisecond, time.Minute, func() (bool, error) { return true, boom })
	assert.ErrorIs(t, err, boom, "a condition that gives up returns its error")

	err = Until(context.Background(), time.Millisecond, 5*time.Millisecond, func() (bool, error) { return false, boom })
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, boom, "the last reason is kept")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Until(ctx, time.Millisecond, 0, func() (bool, error) { return false, nil })
	assert.ErrorIs(t, err, context.Canceled)
}
