//go:build linux

package test

import (
	"testing"

	"github.com/anthropics/cco/internal/testkit"
)

// faultHeader asks the fake upstream to misbehave (see testkit.Upstream).
const faultHeader = testkit.FaultHeader

// newFaultyUpstream is the kit's fake with the reliability suite's
// figures, which its checks of recorded rows name: JSON answers 11 input
// and 7 output tokens, streams 13 and 5.
func newFaultyUpstream(t *testing.T) *testkit.Upstream {
	return testkit.NewUpstream(t, testkit.UpstreamOptions{
		Usage:       testkit.Usage{Input: 11, Output: 7},
		StreamUsage: testkit.Usage{Input: 13, Output: 5},
	})
}

// newFaultyEnv is a private environment (see newRelEnv) in front of a new
// newFaultyUpstream.
func newFaultyEnv(t *testing.T) (*relEnv, *testkit.Upstream) {
	up := newFaultyUpstream(t)
	return newRelEnv(t, up.URL), up
}
