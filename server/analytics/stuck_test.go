package analytics

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A writer that cannot write (another process holds the database's write
// lock) is reported stuck once records wait longer than the limit, and
// recovers when the lock goes.
func TestWriterStuckWhileDatabaseLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	s := openTestStore(t, path)
	w := NewWriter(s, slog.New(slog.NewTextHandler(io.Discard, nil)), 100)
	defer w.Close(context.Background())

	other, err := sql.Open("sqlite", dsn(path, false))
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)

	for i := 0; i < 5; i++ {
		w.Enqueue(Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"})
	}
	require.Eventually(t, func() bool {
		// The first record is taken into a batch at once; the rest wait
		// in the queue behind the blocked write.
		w.Enqueue(Record{Time: time.Now(), Path: "/v1/messages", Status: 200, Cache: "miss"})
		return w.Stuck(300*time.Millisecond) != nil
	}, 20*time.Second, 50*time.Millisecond)
	require.ErrorContains(t, w.Stuck(300*time.Millisecond), "nothing was written for")

	_, err = conn.ExecContext(context.Background(), "ROLLBACK")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.Stuck(300*time.Millisecond) == nil && w.Stats().Written > 0 }, 30*time.Second, 50*time.Millisecond)
}
