package analytics

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOpenMovesAsideWhatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "analytics.db")
	junk := []byte("this is not an SQLite database, but someone's notes\n")
	require.NoError(t, os.WriteFile(path, junk, 0o600))
	s := openTestStore(t, path)
	require.NotEmpty(t, s.MovedAside)
	kept, err := os.ReadFile(s.MovedAside)
	require.NoError(t, err)
	require.Equal(t, junk, kept, "the old file must be kept byte for byte")
	require.NoError(t, s.Insert(context.Background(), []Record{{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"}}))
}

func TestOpenMovesAsideATruncatedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := Open(path)
	require.NoError(t, err)
	recs := make([]Record, 2000)
	for i := range recs {
		recs[i] = Record{Time: time.Now(), Path: "/v1/messages", Model: "claude-test-model-with-a-long-name", Status: 200, Cache: "miss", InputTokens: int64(i)}
	}
	require.NoError(t, s.Insert(context.Background(), recs))
	require.NoError(t, s.Close())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(64<<10), "the test needs a database of many pages")
	require.NoError(t, os.Truncate(path, fi.Size()/2))

	s, err = Open(path)
	require.NoError(t, err)
	defer s.Close()
	require.NotEmpty(t, s.MovedAside, "a truncated database must not stay in use")
	kept, err := os.Stat(s.MovedAside)
	require.NoError(t, err)
	require.Equal(t, fi.Size()/2, kept.Size())
	require.NoError(t, s.CheckWritable(context.Background()))
}

func TestOpenKeepsAnIntactDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Insert(context.Background(), []Record{{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"}}))
	require.NoError(t, s.Close())
	s, err = Open(path)
	require.NoError(t, err)
	defer s.Close()
	require.Empty(t, s.MovedAside)
	matches, _ := filepath.Glob(path + ".corrupt-*")
	require.Empty(t, matches)
}
