package server

import (
	"time"

	"github.com/anthropics/cco/server/analytics"
)

type writerStats = analytics.WriterStats

func (s *Server) writerStats() writerStats {
	if s.writer == nil {
		return writerStats{}
	}
	return s.writer.Stats()
}

// finishCall prices a proxied call, queues its usage row, counts it in the
// metrics and logs one line. The row is written later by the batch writer,
// so nothing here waits on the database.
func (s *Server) finishCall(c *call) {
	cfg := s.Config()
	c.model = cleanModel(c.model)
	rec := analytics.Record{
		Time: c.start, Path: c.path, Model: c.model, Status: c.status, Stream: c.stream, Cache: c.cache,
		Latency: time.Since(c.start), TTFB: c.ttfb,
	}
	fillUsage(c.usage, &rec)
	if v, ok := s.cost(cfg, c.model, c.usage, c.start); ok {
		if c.cache == "hit" {
			rec.SavedUSD, v = v, 0
		}
		rec.CostUSD = &v
	}
	if s.writer != nil {
		s.writer.Enqueue(rec)
	}
	s.metrics.observeCall(c, rec.CostUSD, rec.SavedUSD)
	// Figures only: never headers, keys or bodies.
	s.log.Debug("proxied", "path", c.path, "status", c.status, "cache", c.cache, "model", c.model,
		"stream", c.stream, "input_tokens", c.usage.InputTokens, "output_tokens", c.usage.OutputTokens,
		"latency_ms", rec.Latency.Milliseconds(), "ttfb_ms", c.ttfb.Milliseconds())
}
