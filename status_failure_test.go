package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLastFailure(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "daemon.log")
	write := func(lines ...string) {
		require.NoError(t, os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	}
	when, what := lastFailure(filepath.Join(dir, "missing.log"))
	require.Empty(t, when+what)

	write(`time=2026-01-02T03:04:05Z level=INFO msg="cco daemon started" url=http://127.0.0.1:3000`,
		`time=2026-01-02T03:04:06Z level=INFO msg="cco daemon stopped"`)
	when, what = lastFailure(log)
	require.Empty(t, when+what, "a clean run has no failure")

	write(`time=2026-01-02T03:04:05Z level=INFO msg="cco daemon started"`,
		`time=2026-01-02T03:05:00Z level=ERROR msg="cco daemon could not run" err="creating the directory of the usage database /x/blocker/a.db: mkdir /x/blocker: not a directory"`)
	when, what = lastFailure(log)
	require.Equal(t, "2026-01-02T03:05:00Z", when)
	require.Equal(t, "creating the directory of the usage database /x/blocker/a.db: mkdir /x/blocker: not a directory", what)

	write(`{"time":"2026-01-02T03:05:00Z","level":"ERROR","msg":"cco daemon could not run","err":"bad \"thing\""}`,
		`{"time":"2026-01-02T03:06:00Z","level":"INFO","msg":"cco daemon started"}`)
	when, what = lastFailure(log)
	require.Empty(t, when+what, "an error before a later successful start is history")

	write(`{"time":"2026-01-02T03:05:00Z","level":"ERROR","msg":"health check failed three times in a row"}`)
	_, what = lastFailure(log)
	require.Equal(t, "health check failed three times in a row", what)

	// Only the end of a large log is read.
	big := strings.Repeat(`time=2026-01-01T00:00:00Z level=ERROR msg=old err="old error"`+"\n", 5000)
	require.NoError(t, os.WriteFile(log, []byte(big+`time=2026-01-02T00:00:00Z level=INFO msg="cco daemon started"`+"\n"), 0o600))
	_, what = lastFailure(log)
	require.Empty(t, what)
}
