package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the daemon's Prometheus series, in a registry of its own so
// that nothing registered globally by a library leaks in.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ttfb     *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
	cost     *prometheus.CounterVec
	saved    *prometheus.CounterVec
	unpriced *prometheus.CounterVec
	models   modelLabels
}

// Upstream answers take from a fraction of a second to many minutes.
var latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cco_requests_total", Help: "HTTP requests served, by route, status and cache result (hit, miss, bypass, none).",
	}, []string{"route", "status", "cache"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cco_upstream_latency_seconds", Help: "Time from request to the end of the proxied answer.", Buckets: latencyBuckets,
	}, []string{"route", "cache"})
	m.ttfb = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cco_upstream_ttfb_seconds", Help: "Time from request to the answer's headers (time to first byte).", Buckets: latencyBuckets,
	}, []string{"route", "cache"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cco_tokens_total", Help: "Tokens used upstream, by model and type (input, output, cache_read, cache_creation).",
	}, []string{"model", "type"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cco_cost_usd_total", Help: "Estimated cost of upstream calls in US dollars, by model (models with a known price).",
	}, []string{"model"})
	m.saved = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cco_cache_saved_usd_total", Help: "Estimated cost the cache saved in US dollars, by model.",
	}, []string{"model"})
	m.unpriced = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cco_unpriced_requests_total", Help: "Messages calls that used tokens of a model with no known price (their cost is unknown, not zero), by model.",
	}, []string{"model"})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.ttfb, m.tokens, m.cost, m.saved, m.unpriced, planCollector{s}, teamCollector{s},
		snapshotCollector[CacheStats]{func() CacheStats { return s.cache.stats() }, cacheMetrics},
		snapshotCollector[writerStats]{s.writerStats, writerMetrics},
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cco_memory_releases_total", Help: "Times free memory was returned to the OS after a burst of requests."},
			func() float64 { return float64(s.releases.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cco_health_consecutive_failures", Help: "Failed health self-checks in a row."},
			func() float64 { return float64(s.healthState().ConsecutiveFailures) }),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// observeCall records a proxied call's figures.
func (m *metrics) observeCall(c *call, costUSD *float64, savedUSD float64) {
	route := proxyRoute(c.path)
	if c.ttfb > 0 {
		m.ttfb.WithLabelValues(route, c.cache).Observe(c.ttfb.Seconds())
	}
	if c.status != statusClientClosed {
		m.latency.WithLabelValues(route, c.cache).Observe(time.Since(c.start).Seconds())
	}
	model := m.models.label(c.model)
	if c.cache == "hit" {
		m.saved.WithLabelValues(model).Add(savedUSD)
		return
	}
	for _, t := range [...]struct {
		typ string
		n   int64
	}{{"input", c.usage.InputTokens}, {"output", c.usage.OutputTokens}, {"cache_read", c.usage.CacheReadInputTokens}, {"cache_creation", c.usage.CacheCreationInputTokens}} {
		if t.n > 0 {
			m.tokens.WithLabelValues(model, t.typ).Add(float64(t.n))
		}
	}
	if costUSD != nil {
		m.cost.WithLabelValues(model).Add(*costUSD)
	} else {
		m.unpriced.WithLabelValues(model).Inc()
	}
}

// snapshotMetric is one figure of a stats snapshot T, exported as a
// gauge or a counter.
type snapshotMetric[T any] struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(T) float64
}

func newSnapshotMetric[T any](kind prometheus.ValueType, name, help string, value func(T) float64) snapshotMetric[T] {
	return snapshotMetric[T]{prometheus.NewDesc(name, help, nil, nil), kind, value}
}

// snapshotCollector exports figures all read from one snapshot a scrape.
type snapshotCollector[T any] struct {
	read    func() T
	metrics []snapshotMetric[T]
}

func (c snapshotCollector[T]) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

func (c snapshotCollector[T]) Collect(ch chan<- prometheus.Metric) {
	st := c.read()
	for _, m := range c.metrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(st))
	}
}

const gauge, counter = prometheus.GaugeValue, prometheus.CounterValue

var cacheMetrics = []snapshotMetric[CacheStats]{
	newSnapshotMetric(gauge, "cco_cache_bytes", "Bytes of answers held in the cache.", func(c CacheStats) float64 { return float64(c.Bytes) }),
	newSnapshotMetric(gauge, "cco_cache_max_bytes", "The cache's bound in bytes (cache_size).", func(c CacheStats) float64 { return float64(c.MaxBytes) }),
	newSnapshotMetric(gauge, "cco_cache_entries", "Answers held in the cache.", func(c CacheStats) float64 { return float64(c.Entries) }),
	newSnapshotMetric(counter, "cco_cache_evictions_total", "Answers evicted to stay within cache_size.", func(c CacheStats) float64 { return float64(c.Evictions) }),
	newSnapshotMetric(counter, "cco_cache_expired_total", "Answers dropped after cache_ttl.", func(c CacheStats) float64 { return float64(c.Expired) }),
	newSnapshotMetric(counter, "cco_cache_hits_total", "Answers served without an upstream call of their own.", func(c CacheStats) float64 { return float64(c.Hits) }),
	newSnapshotMetric(counter, "cco_cache_misses_total", "Cacheable requests that needed an upstream call.", func(c CacheStats) float64 { return float64(c.Misses) }),
}

var writerMetrics = []snapshotMetric[writerStats]{
	newSnapshotMetric(gauge, "cco_analytics_queue_depth", "Usage records waiting to be written.", func(w writerStats) float64 { return float64(w.Queued) }),
	newSnapshotMetric(counter, "cco_analytics_written_total", "Usage records written to the database.", func(w writerStats) float64 { return float64(w.Written) }),
	newSnapshotMetric(counter, "cco_analytics_write_errors_total", "Failed batch writes of usage records.", func(w writerStats) float64 { return float64(w.WriteErrors) }),
	newSnapshotMetric(counter, "cco_analytics_dropped_total", "Usage records dropped because the queue was full.", func(w writerStats) float64 { return float64(w.Dropped) }),
}

// planCollector exports the plan's windows as gauges labelled by window
// (their names come from the API, and at most maxPlanWindows of them).
type planCollector struct{ s *Server }

var (
	planUtilization = prometheus.NewDesc("cco_plan_utilization_ratio",
		"The subscription plan's usage of each window (0-1), as the API last reported it.", []string{"window"}, nil)
	planResets = prometheus.NewDesc("cco_plan_resets_timestamp_seconds",
		"When each window of the subscription plan resets, as Unix time.", []string{"window"}, nil)
)

func (c planCollector) Describe(ch chan<- *prometheus.Desc) { ch <- planUtilization; ch <- planResets }

func (c planCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.s.plans.current(time.Now())
	if p == nil {
		return
	}
	for _, w := range p.Windows {
		ch <- prometheus.MustNewConstMetric(planUtilization, prometheus.GaugeValue, w.Utilization, w.Name)
		if w.ResetsAt != nil {
			ch <- prometheus.MustNewConstMetric(planResets, prometheus.GaugeValue, float64(w.ResetsAt.Unix()), w.Name)
		}
	}
}

// proxyRoute keeps the route label to a known set, whatever paths clients
// send.
func proxyRoute(path string) string {
	switch path {
	case "/v1/messages", "/v1/messages/count_tokens", "/v1/models", "/v1/complete":
		return path
	}
	switch {
	case strings.HasPrefix(path, "/v1/messages/batches"):
		return "/v1/messages/batches"
	case strings.HasPrefix(path, "/v1/models/"):
		return "/v1/models"
	case strings.HasPrefix(path, "/v1/files"):
		return "/v1/files"
	}
	return "/v1/other"
}

// instrument counts every request by route, status and cache result.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			rt, cache := route, "none"
			if route == "/v1/" {
				rt = proxyRoute(r.URL.Path)
				cache = sw.Header().Get("X-Cco-Cache")
				if cache == "" {
					cache = "bypass"
				}
			}
			code := sw.code
			if code == 0 {
				code = statusClientClosed
			}
			s.metrics.requests.WithLabelValues(rt, strconv.Itoa(code), cache).Inc()
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status written; Unwrap keeps flushing and
// the other ResponseController features working through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
