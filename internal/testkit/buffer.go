package testkit

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that a child process's output goroutine may
// write while the test reads it: exec copies a non-*os.File Stdout on a
// goroutine of its own, so a plain bytes.Buffer there is a data race.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
