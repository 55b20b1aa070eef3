package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

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

func TestAwaitReloadLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "daemon.log")
	old := "level=INFO msg=\"configuration reloaded\" applied=[]\n"
	require.NoError(t, os.WriteFile(log, []byte(old), 0o600))
	offset := fileSize(log)
	ctx := context.Background()

	line, _ := awaitReloadLog(ctx, log, offset, 100*time.Millisecond)
	assert.Empty(t, line, "a reload logged before the request is not its answer")

	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString("level=WARN msg=\"configuration reload refused; the old configuration stays in force\" err=\"port: bad\"\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	line, refused := awaitReloadLog(ctx, log, offset, time.Second)
	assert.True(t, refused)
	assert.Contains(t, line, "port: bad")
}

func TestNoFlagsForService(t *testing.T) {
	fs := newFlags("start", io.Discard)
	config.AddFlags(fs, daemonFlags...)
	require.NoError(t, fs.Parse(nil))
	assert.NoError(t, noFlagsForService(fs, "start", "systemd"))
	require.NoError(t, fs.Parse([]string{"--port", "3001"}))
	err := noFlagsForService(fs, "start", "systemd")
	var usage usageError
	require.ErrorAs(t, err, &usage)
	assert.Contains(t, err.Error(), "--port=3001")
	assert.Contains(t, err.Error(), "cco config set")
}
