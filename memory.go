package main

import (
	"log/slog"
	"os"
	"runtime/debug"

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
