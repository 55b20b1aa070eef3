package platform

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// While one cco process reads daemon.pid, another may remove it, and its
// name is gone at once; a write replacing it waits for the reader.
func TestFilesReadAreStillReplacedAndRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.pid")
	require.NoError(t, WriteFileAtomic(path, []byte(`{"pid": 1}`), 0o600))
	reader, err := OpenRegular(path, os.O_RDONLY, NoFollow)
	require.NoError(t, err)
	defer reader.Close()

	// Windows renames over no open file: the write waits for the reader.
	written := make(chan error, 1)
	go func() { written <- WriteFileAtomic(path, []byte(`{"pid": 2}`), 0o600) }()
	require.NoError(t, reader.Close())
	require.NoError(t, <-written, "replaced once read")
	data, err := ReadRegular(path, maxPidFile, NoFollow)
	require.NoError(t, err)
	assert.Equal(t, `{"pid": 2}`, string(data))

	again, err := OpenRegular(path, os.O_RDONLY, NoFollow)
	require.NoError(t, err)
	defer again.Close()
	require.NoError(t, RemovePidFile(path), "removed while read")
	_, err = os.Lstat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "the name is free at once, not when the reader closes")
	require.NoError(t, RemovePidFile(path), "removing what is gone is no error")
}
