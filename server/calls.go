package server

import (
	"net/http"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/anthropics/cco/server/prices"
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
	// A stream that ended in an error event failed, whatever its status
	// line said when it began.
	if c.errorType != "" && c.status < 400 && !c.interrupted {
		c.status = errorStatus(c.errorType)
	}
	rec := analytics.Record{
		Time: c.start, Path: c.path, Route: c.route, Model: c.model, Status: c.status, Stream: c.stream, Cache: c.cache,
		Latency: time.Since(c.start), TTFB: c.ttfb,
		SessionID: c.who.session, Project: c.who.project, Client: c.who.client, Credential: c.who.credential,
		Interrupted: c.interrupted, ErrorType: c.errorType,
	}
	fillUsage(c.usage, &rec)
	if v, ok := s.callCost(cfg, c); ok {
		if c.cache == "hit" {
			rec.SavedUSD, v = v, 0
		}
		rec.CostUSD = &v
	}
	s.spend.release(c.who.session, c.who.credential, c.reserved)
	if rec.CostUSD != nil && *rec.CostUSD > 0 {
		s.spend.add(c.start, c.who.session, c.who.credential, *rec.CostUSD)
	}
	if s.writer != nil {
		s.writer.Enqueue(rec)
	}
	s.metrics.observeCall(c, rec.CostUSD, rec.SavedUSD)
	// Figures only: never headers, keys or bodies.
	s.log.Debug("proxied", "path", c.path, "status", c.status, "cache", c.cache, "model", c.model,
		"stream", c.stream, "input_tokens", c.usage.InputTokens, "output_tokens", c.usage.OutputTokens,
		"interrupted", c.interrupted, "error_type", c.errorType,
		"latency_ms", rec.Latency.Milliseconds(), "ttfb_ms", c.ttfb.Milliseconds())
}

// callCost is what a call cost; ok is false when it is unpriced: it used
// tokens of a model no price takes. Calls that are not Messages calls
// (count_tokens, models) and calls that used no tokens cost nothing.
func (s *Server) callCost(cfg *config.Config, c *call) (float64, bool) {
	if c.route != analytics.MessagesRoute || c.usage == (prices.Usage{}) {
		return 0, true
	}
	return s.cost(cfg, c.model, c.usage, c.start)
}

// errorStatus is the HTTP status the API gives each error type, for an
// error that arrived as a stream event.
func errorStatus(typ string) int {
	switch typ {
	case "invalid_request_error":
		return http.StatusBadRequest
	case "authentication_error":
		return http.StatusUnauthorized
	case "billing_error":
		return http.StatusPaymentRequired
	case "permission_error":
		return http.StatusForbidden
	case "not_found_error":
		return http.StatusNotFound
	case "request_too_large":
		return http.StatusRequestEntityTooLarge
	case "rate_limit_error":
		return http.StatusTooManyRequests
	case "timeout_error":
		return http.StatusGatewayTimeout
	case "overloaded_error":
		return 529
	}
	return http.StatusInternalServerError // api_error, and anything new
}
