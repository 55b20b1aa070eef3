package server

import (
	"runtime/debug"
	"time"
)

// idleRelease is how long the daemon must be quiet after a burst before it
// hands its free memory back to the OS.
const idleRelease = 10 * time.Second

// idleReleaser decides when a burst of requests has ended. The Go runtime
// returns freed heap to the OS only slowly, and an idle daemon triggers no
// collections, so after a burst a laptop daemon would keep the burst's peak
// resident for minutes. One forced release once the daemon falls quiet costs
// a collection nobody waits for and brings the footprint back to what is
// live (mostly the cache).
type idleReleaser struct {
	lastTotal uint64
	dirty     bool // requests were served since the last release
}

// tick is called every idleRelease with the requests in flight and the
// proxied calls ever begun (views such as the dashboard's polling do not
// count: they allocate little, and would keep the daemon from ever being
// quiet); it reports whether memory should be released now: nothing in
// flight, no call begun since the last tick, and some since the release.
func (r *idleReleaser) tick(inFlight int, total uint64) bool {
	if total != r.lastTotal {
		r.lastTotal, r.dirty = total, true
		return false
	}
	if !r.dirty || inFlight > 0 {
		return false
	}
	r.dirty = false
	return true
}

// memoryLoop releases memory once after each burst, and counts releases
// for /metrics (cco_memory_releases_total).
func (s *Server) memoryLoop(stop <-chan struct{}) {
	t := time.NewTicker(idleRelease)
	defer t.Stop()
	var r idleReleaser
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if r.tick(s.inflight.count(), s.proxied.Load()) {
				debug.FreeOSMemory()
				s.releases.Add(1)
				s.log.Debug("quiet after a burst of requests; returned free memory to the OS")
			}
		}
	}
}
