package platform

import (
	"io"
	"os"
	"strings"
	"sync"
)

// The start pipe carries a detached daemon's startup failure to the start
// command that spawned it, as data: the daemon's log may be the very thing
// that failed (a full disk before the first start), and its last line is
// not a protocol. The daemon closes its end once it is ready; a failure is
// written as one message before it exits.
const startPipeEnv = "CCO_START_FD"

// maxStartReport bounds what the spawner keeps of a failure message.
const maxStartReport = 64 << 10

// startPipe is the spawner's end.
type startPipe struct {
	r    *os.File
	done chan struct{}
	msg  string
}

func newStartPipe() (*startPipe, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return &startPipe{r: r, done: make(chan struct{})}, w, nil
}

// collect reads the daemon's report until it closes its end (ready, or
// exited).
func (p *startPipe) collect() {
	defer close(p.done)
	defer p.r.Close()
	b, _ := io.ReadAll(io.LimitReader(p.r, maxStartReport))
	p.msg = strings.TrimSpace(string(b))
}

// StartReporter is the daemon's end of the start pipe; it is nil (and its
// methods do nothing) when the daemon was not spawned by start.
type StartReporter struct {
	once sync.Once
	f    *os.File
}

// OpenStartReporter takes the pipe the spawner handed down, and hides it
// from any process the daemon might start.
func OpenStartReporter() *StartReporter {
	v := os.Getenv(startPipeEnv)
	if v == "" {
		return nil
	}
	os.Unsetenv(startPipeEnv)
	f := inheritedFile(v)
	if f == nil {
		return nil
	}
	return &StartReporter{f: f}
}

// Fail reports why the daemon could not start, then closes the pipe.
func (r *StartReporter) Fail(err error) {
	if r == nil || err == nil {
		return
	}
	r.once.Do(func() {
		_, _ = io.WriteString(r.f, err.Error()+"\n")
		r.f.Close()
	})
}

// Ready closes the pipe without a message: the start succeeded.
func (r *StartReporter) Ready() {
	if r == nil {
		return
	}
	r.once.Do(func() { r.f.Close() })
}
