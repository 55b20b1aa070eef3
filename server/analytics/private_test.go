//go:build unix

package analytics

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDatabaseFilesPrivateFromTheStart: the database, its -wal and its
// -shm are 0600 from the very first open, even under a permissive umask.
func TestDatabaseFilesPrivateFromTheStart(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "analytics.db")
	s := openTestStore(t, path)
	require.NoError(t, s.Insert(context.Background(), []Record{{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"}}))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		require.NoError(t, err, p)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
}
