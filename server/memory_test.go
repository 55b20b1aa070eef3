package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIdleReleaserOncePerBurst(t *testing.T) {
	var r idleReleaser
	assert.False(t, r.tick(0, 0), "a daemon that never served anything has nothing to give back")
	assert.False(t, r.tick(2, 5), "requests began since the last tick: still busy")
	assert.False(t, r.tick(1, 5), "quiet, but one request is still in flight (a long stream)")
	assert.True(t, r.tick(0, 5), "quiet and idle after a burst: release")
	assert.False(t, r.tick(0, 5), "released already; nothing new was served")
	assert.False(t, r.tick(0, 9), "a new burst")
	assert.True(t, r.tick(0, 9), "and its end")
}
