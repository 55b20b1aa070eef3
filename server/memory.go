package server

import (
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/anthropics/cco/config"
)

// applyMemoryLimit sets the Go runtime's soft memory limit to what the
// cache may hold plus room for everything else. Without it the collector
// lets the heap grow to twice what is live, so a full cache of cache_size
// bytes would cost about twice that in RAM. A GOMEMLIMIT set by the user
// wins. It applies at start and again when a reload changes cache_size.
func applyMemoryLimit(cfg *config.Config, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := cfg.CacheSize + max(cfg.CacheSize/8, 48<<20)
	if limit < cfg.CacheSize { // overflow on an absurd cache_size
		return
	}
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit set", "bytes", limit, "cache_size", cfg.CacheSize)
}

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
