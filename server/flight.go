package server

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// flight is one upstream call shared by every identical request that
// arrives while it runs (single flight). The answer is kept as it arrives,
// so a request that joins late still gets all of it, streamed as it comes.
// The upstream call is cancelled only when every request sharing it has
// gone away.
type flight struct {
	key    string
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	refs    int
	started bool
	status  int
	header  http.Header
	stream  bool
	buf     []byte
	done    bool
	res     fetched
	live    meter // the upstream's answer read so far (see metered)
}

func (f *flight) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// waitDone waits, at most limit, for the fetch to end, and returns its
// result.
func (f *flight) waitDone(limit time.Duration) (fetched, bool) {
	t := time.NewTimer(limit)
	defer t.Stop()
	for {
		f.mu.Lock()
		ch, done, res := f.changed, f.done, f.res
		f.mu.Unlock()
		if done {
			return res, true
		}
		select {
		case <-ch:
		case <-t.C:
			return fetched{}, false
		}
	}
}

// start and chunk make a flight the sink of its own fetch.
func (f *flight) start(status int, h http.Header, stream bool, size int64) {
	hdr := http.Header{}
	copyHeaders(hdr, h)
	f.mu.Lock()
	f.started, f.status, f.header, f.stream = true, status, hdr, stream
	if size > 0 && size <= maxMeteredBody {
		f.buf = make([]byte, 0, size)
	}
	f.notify()
	f.mu.Unlock()
}

func (f *flight) chunk(p []byte) {
	f.mu.Lock()
	f.buf = append(f.buf, p...)
	f.notify()
	f.mu.Unlock()
}

// body is everything received so far (the flight keeps it all).
func (f *flight) body() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buf == nil {
		return []byte{}
	}
	return f.buf
}

// metered keeps what the fetch has read of the answer so far, so that a
// client that leaves mid-stream is recorded with the usage already
// reported.
func (f *flight) metered(m meter) {
	f.mu.Lock()
	f.live = m
	f.mu.Unlock()
}

func (f *flight) finish(res fetched) {
	f.mu.Lock()
	f.done, f.res = true, res
	f.notify()
	f.mu.Unlock()
}

// flights are the upstream calls in progress, by cache key.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// join returns the flight for key, creating it (leader = true) if none runs.
func (fs *flights) join(key string) (f *flight, leader bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		f.mu.Lock()
		f.refs++
		f.mu.Unlock()
		return f, false
	}
	ctx, cancel := context.WithCancel(context.Background())
	f = &flight{key: key, ctx: ctx, cancel: cancel, changed: make(chan struct{}), refs: 1}
	if fs.m == nil {
		fs.m = map[string]*flight{}
	}
	fs.m[key] = f
	return f, true
}

// leave drops one listener; the last one to leave an unfinished flight
// cancels its upstream call (a client disconnect cancels upstream).
func (fs *flights) leave(f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.mu.Lock()
	f.refs--
	abandon := f.refs == 0 && !f.done
	f.mu.Unlock()
	if abandon {
		fs.forgetLocked(f)
		f.cancel()
	}
}

// forget removes f so that later requests start afresh (or hit the cache).
func (fs *flights) forget(f *flight) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.forgetLocked(f)
}

func (fs *flights) forgetLocked(f *flight) {
	if fs.m[f.key] == f {
		delete(fs.m, f.key)
	}
}

// run performs the flight's upstream call, stores a complete successful
// answer in the cache, then lets the listeners finish.
func (s *Server) runFlight(f *flight, req *http.Request, start time.Time) {
	defer f.cancel()
	res := s.fetch(req, start, f)
	if cacheable(res) {
		f.mu.Lock()
		resp := &cachedResponse{status: res.status, header: storable(f.header), body: exact(f.buf), stream: res.stream, model: res.meter.model, usage: res.meter.usage}
		f.mu.Unlock()
		s.cache.put(f.key, resp)
	}
	s.flights.forget(f)
	f.finish(res)
}

// feedFlight answers a flight from a stored answer.
func (s *Server) feedFlight(f *flight, resp *cachedResponse) {
	f.start(resp.status, resp.header.http(), resp.stream, int64(len(resp.body)))
	f.chunk(resp.body)
	s.flights.forget(f)
	f.finish(fetched{status: resp.status, stream: resp.stream, complete: true,
		meter: meter{model: resp.model, usage: resp.usage, complete: true}})
}

// cacheable says whether an answer may be stored: successful, read to the
// end and, for a stream, ended by message_stop with no error event.
func cacheable(res fetched) bool {
	if res.err != nil || !res.complete || res.status < 200 || res.status > 299 {
		return false
	}
	return !res.stream || (res.meter.complete && !res.meter.failed)
}
