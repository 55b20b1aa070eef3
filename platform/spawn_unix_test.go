//go:build unix

package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestSpawnDetached(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "daemon.log")
	writeFile(t, log, "before\n")
	// The child reads stdin to its end (the null device: at once), then
	// writes to both outputs.
	child, err := SpawnDetached(SpawnOptions{
		Exe:     "/bin/sh",
		Args:    []string{"-c", `cat; echo "cwd=$(pwd) v=$CCO_X"; echo err >&2; exit 3`},
		Env:     []string{"PATH=" + os.Getenv("PATH"), "CCO_X=yes"},
		Dir:     dir,
		LogPath: log,
	})
	require.NoError(t, err)
	t.Cleanup(func() { child.Kill() })
	<-child.Done()
	assert.ErrorContains(t, child.Err(), "exit status 3")

	data, err := os.ReadFile(log)
	require.NoError(t, err)
	out := string(data)
	assert.True(t, strings.HasPrefix(out, "before\n"), "appended, not overwritten: %q", out)
	assert.Contains(t, out, "err\n")
	realDir, _ := filepath.EvalSymlinks(dir)
	assert.Contains(t, out, "cwd="+realDir)
	assert.Contains(t, out, "v=yes")
	assert.NoError(t, child.Kill(), "killing an exited child is harmless")
}

func TestSpawnDetachedNewSession(t *testing.T) {
	child, err := SpawnDetached(SpawnOptions{Exe: "/bin/sleep", Args: []string{"600"}, LogPath: filepath.Join(t.TempDir(), "log")})
	require.NoError(t, err)
	t.Cleanup(func() { child.Kill(); <-child.Done() })
	sid, err := unix.Getsid(child.PID())
	require.NoError(t, err)
	assert.Equal(t, child.PID(), sid)
	require.NoError(t, child.Kill())
	<-child.Done()
}
