//go:build unix

package platform

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadRegularRefusesWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink("/dev/zero", link))
	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, make([]byte, 2048), 0o600))
	plain := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(plain, []byte("ok"), 0o600))
	linkToPlain := filepath.Join(dir, "link-to-plain")
	require.NoError(t, os.Symlink(plain, linkToPlain))

	for _, c := range []struct {
		path   string
		follow Follow
		want   string
	}{
		{fifo, FollowLinks, "is a named pipe (FIFO)"},
		{link, FollowLinks, "is a device"},
		{link, NoFollow, "is a symbolic link"},
		{linkToPlain, NoFollow, "is a symbolic link"},
		{dir, FollowLinks, "is a directory"},
		{big, FollowLinks, "is 2 KiB; the limit is 1 KiB"},
	} {
		done := make(chan error, 1)
		go func() { _, err := ReadRegular(c.path, 1024, c.follow); done <- err }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, ErrNotRegular, c.path)
			assert.Contains(t, err.Error(), c.path+" "+c.want)
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadRegular(%s) blocked", c.path)
		}
	}
	b, err := ReadRegular(linkToPlain, 1024, FollowLinks)
	require.NoError(t, err)
	assert.Equal(t, "ok", string(b))
	_, err = ReadRegular(filepath.Join(dir, "missing"), 1024, NoFollow)
	assert.ErrorIs(t, err, os.ErrNotExist)

	// Opened to append (a log) with no reader, a FIFO fails at once with
	// ENXIO; the error names the FIFO, not "no such device or address".
	_, err = OpenRegular(fifo, os.O_CREATE|os.O_APPEND|os.O_WRONLY, NoFollow)
	require.ErrorIs(t, err, ErrNotRegular)
	assert.Contains(t, err.Error(), fifo+" is a named pipe (FIFO)")
}

func TestLockRefusesALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	require.NoError(t, os.WriteFile(target, nil, 0o644))
	lock := filepath.Join(dir, "daemon.lock")
	require.NoError(t, os.Symlink(target, lock))
	_, err := AcquireLock(lock)
	require.ErrorContains(t, err, lock+" is a symbolic link")
	_, err = Inspect(lock, filepath.Join(dir, "daemon.pid"))
	require.ErrorContains(t, err, "is a symbolic link")
}

func TestAppendRefusesALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	require.NoError(t, os.WriteFile(target, []byte("keep"), 0o644))
	log := filepath.Join(dir, "daemon.log")
	require.NoError(t, os.Symlink(target, log))
	_, err := SpawnDetached(SpawnOptions{Exe: "/bin/true", LogPath: log})
	require.ErrorContains(t, err, "is a symbolic link")
	b, _ := os.ReadFile(target)
	assert.Equal(t, "keep", string(b))
}
