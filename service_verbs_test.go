package main

import (
	"os"
	"path/filepath"
	"testing"

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
