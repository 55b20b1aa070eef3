package cli

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/anthropics/cco/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBinaryWarnings(t *testing.T) {
	self, err := selfPath()
	require.NoError(t, err)
	assert.Empty(t, binaryWarnings(self), "the running binary is the service's")

	gone := filepath.Join(t.TempDir(), "cco")
	w := binaryWarnings(gone)
	require.Len(t, w, 1)
	assert.Contains(t, w[0], gone+" no longer exists")

	other := filepath.Join(t.TempDir(), "cco")
	require.NoError(t, os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755))
	w = binaryWarnings(other)
	require.Len(t, w, 1)
	assert.Contains(t, w[0], "the service runs "+other+", not this binary")
}

func TestNoFlagsForService(t *testing.T) {
	fs := newFlags("start", io.Discard)
	config.AddFlags(fs.FlagSet, daemonFlags...)
	require.NoError(t, fs.Parse(nil))
	assert.NoError(t, noFlagsForService(fs, "start", "systemd"))
	require.NoError(t, fs.Parse([]string{"--port", "3001"}))
	err := noFlagsForService(fs, "start", "systemd")
	var usage usageError
	require.ErrorAs(t, err, &usage)
	assert.Contains(t, err.Error(), "--port=3001")
	assert.Contains(t, err.Error(), "cco config set")
}
