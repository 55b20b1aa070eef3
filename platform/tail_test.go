package platform

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/anthropics/cco/internal/testkit"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func last(t *testing.T, path string, n int, following bool) string {
	t.Helper()
	tl, err := OpenTail(path)
	require.NoError(t, err)
	defer tl.Close()
	var b bytes.Buffer
	require.NoError(t, tl.Last(&b, n, following))
	return b.String()
}

func TestTailLast(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	writeFile(t, p, "")
	assert.Equal(t, "", last(t, p, 10, false))

	writeFile(t, p, "a\nb\nc\n")
	assert.Equal(t, "b\nc\n", last(t, p, 2, false))
	assert.Equal(t, "a\nb\nc\n", last(t, p, 3, false))
	assert.Equal(t, "a\nb\nc\n", last(t, p, 100, false))
	assert.Equal(t, "", last(t, p, 0, false))
	assert.Equal(t, "c\n", last(t, p, 1, true))

	// An unfinished last line is shown, except when following: then it is
	// held back for Follow to print once whole.
	writeFile(t, p, "a\nb\nhalf")
	assert.Equal(t, "b\nhalf", last(t, p, 2, false))
	assert.Equal(t, "a\nb\n", last(t, p, 2, true))

	writeFile(t, p, "\n\n\n")
	assert.Equal(t, "\n\n", last(t, p, 2, false))
}

func TestTailLastAcrossBlocks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	var all strings.Builder
	for i := range 50000 { // several 64 KiB blocks
		fmt.Fprintf(&all, "line %06d\n", i)
	}
	writeFile(t, p, all.String())
	var want strings.Builder
	for i := 50000 - 9000; i < 50000; i++ {
		fmt.Fprintf(&want, "line %06d\n", i)
	}
	assert.Equal(t, want.String(), last(t, p, 9000, false))
	assert.Equal(t, all.String(), last(t, p, 60000, false))

	// One line longer than a block.
	long := strings.Repeat("x", 3*tailBlock)
	writeFile(t, p, "first\n"+long+"\nend\n")
	assert.Equal(t, long+"\nend\n", last(t, p, 2, false))
}

// step runs one round of Follow by hand, so each test controls exactly
// what happens between rounds.
func step(t *testing.T, tl *Tail, w *bytes.Buffer) string {
	t.Helper()
	w.Reset()
	require.NoError(t, tl.drain(w))
	require.NoError(t, tl.checkRotation(w))
	return w.String()
}

func TestFollowRotationAndTruncation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "daemon.log")
	// rotate renames the log as lumberjack does, to its n-th backup.
	rotate := func(n int) {
		require.NoError(t, os.Rename(p, filepath.Join(dir, fmt.Sprintf("daemon-2026-01-01T00-00-%02d.000.log", n))))
	}
	writeFile(t, p, "old 1\n")
	tl, err := OpenTail(p)
	require.NoError(t, err)
	defer tl.Close()
	var notes bytes.Buffer
	tl.Notice = &notes
	var w bytes.Buffer
	require.NoError(t, tl.Last(&w, 10, true))
	assert.Equal(t, "old 1\n", w.String())

	appendFile(t, p, "old 2\nhal")
	assert.Equal(t, "old 2\n", step(t, tl, &w))
	appendFile(t, p, "f\n")
	assert.Equal(t, "half\n", step(t, tl, &w))

	// Rotated twice between two looks: the end of the first file, all of
	// the second, then the new one, in order.
	appendFile(t, p, "old 3\n")
	rotate(0)
	writeFile(t, p, "mid 1\nmid 2\n")
	rotate(1)
	writeFile(t, p, "new 1\n")
	assert.Equal(t, "old 3\nmid 1\nmid 2\nnew 1\n", step(t, tl, &w))
	assert.Equal(t, "", step(t, tl, &w), "nothing twice")

	// Between lumberjack's rename and its new file there is no file.
	appendFile(t, p, "new 2\n")
	rotate(2)
	assert.Equal(t, "new 2\n", step(t, tl, &w))
	writeFile(t, p, "newer 1\n")
	assert.Equal(t, "newer 1\n", step(t, tl, &w))

	// A rotated file whose writer died mid-line still ends its line.
	appendFile(t, p, "cut")
	rotate(3)
	writeFile(t, p, "after\n")
	assert.Equal(t, "cut\nafter\n", step(t, tl, &w))

	// Truncated in place: start again from the top.
	writeFile(t, p, "")
	assert.Equal(t, "", step(t, tl, &w))
	assert.Contains(t, notes.String(), "truncated")
	appendFile(t, p, "fresh\n")
	assert.Equal(t, "fresh\n", step(t, tl, &w))

	// Files that only look like backups are not read.
	writeFile(t, filepath.Join(dir, "daemon-notatime.log"), "junk\n")
	rotate(4)
	writeFile(t, p, "last\n")
	assert.Equal(t, "last\n", step(t, tl, &w))

	// Rotated and pruned before the follower looked: the open file still
	// reads to its end, and the later rotated files are found by time.
	appendFile(t, p, "pruned\n")
	now := time.Now()
	gone := filepath.Join(dir, tl.backupName(now.Add(time.Hour)))
	require.NoError(t, os.Rename(p, gone))
	require.NoError(t, os.Remove(gone))
	// Where deleting an open file only marks it for deletion (Windows
	// without POSIX delete semantics, as under Wine), its name stays until
	// the follower closes it: the follower finds it, and rightly reports
	// nothing missed.
	_, statErr := os.Stat(gone)
	pending := statErr == nil
	writeFile(t, filepath.Join(dir, tl.backupName(now.Add(2*time.Hour))), "kept\n")
	writeFile(t, p, "newest\n")
	notes.Reset()
	assert.Equal(t, "pruned\nkept\nnewest\n", step(t, tl, &w))
	if pending {
		assert.NotContains(t, notes.String(), "lines may have been missed")
	} else {
		assert.Contains(t, notes.String(), "lines may have been missed")
	}
}

func TestFollowLumberjack(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "daemon.log")
	lj := &lumberjack.Logger{Filename: p, MaxSize: 1, MaxBackups: 100}
	defer lj.Close()
	_, err := lj.Write([]byte("start\n"))
	require.NoError(t, err)

	tl, err := OpenTail(p)
	require.NoError(t, err)
	defer tl.Close()
	var out testkit.Buffer
	require.NoError(t, tl.Last(&out, 1, true))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Follow(ctx, &out, time.Millisecond) }()

	const n = 30000 // about 3 MiB: three rotations at 1 MB
	var want strings.Builder
	want.WriteString("start\n")
	pad := strings.Repeat("p", 90)
	for i := range n {
		line := fmt.Sprintf("line %05d %s\n", i, pad)
		want.WriteString(line)
		_, err := lj.Write([]byte(line))
		require.NoError(t, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for out.String() != want.String() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	require.NoError(t, <-done)
	got := out.String()
	require.Equal(t, len(want.String()), len(got), "lines lost or repeated")
	assert.Equal(t, want.String(), got)
	backups, _ := filepath.Glob(filepath.Join(dir, "daemon-*.log"))
	assert.GreaterOrEqual(t, len(backups), 2, "the log rotated")
}

func TestLogSince(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.log")
	require.NoError(t, os.WriteFile(p, []byte("old 1\nold 2\n"), 0o600))
	off := FileSize(p)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("new 1\nnew 2\nnew 3\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	assert.Equal(t, []string{"new 1", "new 2", "new 3"}, LogSince(p, off, 10))
	assert.Equal(t, []string{"new 2", "new 3"}, LogSince(p, off, 2))
	assert.Nil(t, LogSince(p, FileSize(p), 5), "nothing new since the offset")
	assert.Equal(t, []string{"new 3"}, LogSince(p, FileSize(p)+100, 1), "rotated meanwhile: its last lines")
	assert.Nil(t, LogSince(filepath.Join(t.TempDir(), "none"), 0, 5))
}

// A file without newlines is not printed whole by Last.
func TestLastOfAFileWithoutNewlines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.log")
	require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte{0}, 8*maxPartial), 0o600))
	tl, err := OpenTail(p)
	require.NoError(t, err)
	defer tl.Close()
	var out bytes.Buffer
	require.NoError(t, tl.Last(&out, 3, false))
	assert.Equal(t, 3*maxPartial, out.Len(), "at most n lines of maxPartial bytes")
}
