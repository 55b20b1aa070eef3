package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Record is one proxied call. It holds figures only: never a key, a prompt
// or a completion.
type Record struct {
	Time                time.Time
	Path                string
	Model               string
	Status              int
	Stream              bool
	Cache               string // hit, miss or bypass
	InputTokens         int64
	OutputTokens        int64
	CacheReadTokens     int64
	CacheCreationTokens int64
	Latency             time.Duration
	TTFB                time.Duration
	CostUSD             *float64 // nil when the model's price is unknown
	SavedUSD            float64
	Route               string
	CacheWrite5mTokens  int64 // the part of CacheCreationTokens written for 5 minutes
	CacheWrite1hTokens  int64 // and for an hour
	SessionID           string
	Project             string
	Client              string
	Credential          string // api_key, oauth or ""
	Interrupted         bool   // the client went away before the response ended
	ErrorType           string // the upstream error's type, "" when none
}

// Writer batches records into the store off the request path. The queue is
// bounded: when the database cannot keep up, new records are dropped (and
// counted) rather than slowing the proxy down.
type Writer struct {
	store *Store
	log   *slog.Logger
	queue chan Record
	done  chan struct{}

	closeOnce sync.Once
	written   atomic.Int64
	dropped   atomic.Int64
	errs      atomic.Int64
	progress  atomic.Int64 // unix nanos of the last batch written or empty queue seen
	mu        sync.Mutex
	lastErr   string
	onCommit  atomic.Pointer[func()]
}

const (
	batchSize     = 256
	flushInterval = 200 * time.Millisecond
)

// NewWriter starts a writer with a queue of capacity records.
func NewWriter(store *Store, log *slog.Logger, capacity int) *Writer {
	w := &Writer{store: store, log: log, queue: make(chan Record, capacity), done: make(chan struct{})}
	w.progress.Store(time.Now().UnixNano())
	go w.loop()
	return w
}

// Enqueue hands r to the writer without blocking.
func (w *Writer) Enqueue(r Record) bool {
	select {
	case w.queue <- r:
		return true
	default:
		if w.dropped.Add(1)%1000 == 1 {
			w.log.Warn("usage records dropped: the analytics queue is full", "dropped_total", w.dropped.Load())
		}
		return false
	}
}

// OnCommit makes the writer call f after each batch it commits, from its
// own goroutine, so that a reader of new rows (the team shipper's Notify)
// wakes at once instead of on its next poll. f must not block.
func (w *Writer) OnCommit(f func()) { w.onCommit.Store(&f) }

// Close stops accepting records and waits until every queued one is
// written, or ctx ends.
func (w *Writer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() { close(w.queue) })
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flushing usage records: %d still queued: %w", len(w.queue), ctx.Err())
	}
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]Record, 0, batchSize)
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-w.queue:
			if !ok {
				w.flush(batch)
				return
			}
			batch = append(batch, r)
			if len(batch) >= batchSize {
				batch = w.flush(batch)
			}
		case <-tick.C:
			batch = w.flush(batch)
		}
	}
}

// flush writes batch in one transaction. A failed batch is retried once on
// the next tick together with newer records, then dropped so that one bad
// moment cannot grow memory without bound.
func (w *Writer) flush(batch []Record) []Record {
	if len(batch) == 0 {
		w.progress.Store(time.Now().UnixNano())
		return batch
	}
	if err := w.store.Insert(context.Background(), batch); err != nil {
		n := w.errs.Add(1)
		w.mu.Lock()
		w.lastErr = err.Error()
		w.mu.Unlock()
		w.log.Error("writing usage records", "err", err, "records", len(batch), "write_errors", n)
		if len(batch) < 2*batchSize {
			return batch
		}
		w.dropped.Add(int64(len(batch)))
		return batch[:0]
	}
	w.written.Add(int64(len(batch)))
	w.progress.Store(time.Now().UnixNano())
	if f := w.onCommit.Load(); f != nil {
		(*f)()
	}
	return batch[:0]
}

// WriterStats are the writer's figures for /api/status and /metrics.
type WriterStats struct {
	Queued      int    `json:"queued"`
	Written     int64  `json:"written"`
	Dropped     int64  `json:"dropped"`
	WriteErrors int64  `json:"write_errors"`
	LastError   string `json:"last_error"`
}

// Stats reports the writer's figures.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WriterStats{Queued: len(w.queue), Written: w.written.Load(), Dropped: w.dropped.Load(), WriteErrors: w.errs.Load(), LastError: w.lastErr}
}

// Stuck reports whether records have waited for longer than limit without
// any batch being written: the database is wedged, not merely busy.
func (w *Writer) Stuck(limit time.Duration) error {
	if len(w.queue) == 0 {
		return nil
	}
	since := time.Since(time.Unix(0, w.progress.Load()))
	if since > limit {
		return fmt.Errorf("the analytics queue holds %d records and nothing was written for %s", len(w.queue), since.Round(time.Second))
	}
	return nil
}

// Insert writes records in one transaction.
func (s *Store) Insert(ctx context.Context, recs []Record) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO calls (ts, path, model, status, stream, cache,
		input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
		latency_ms, ttfb_ms, cost_usd, saved_usd, route, cache_write_5m_tokens, cache_write_1h_tokens,
		session_id, project, client, credential, interrupted, error_type)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range recs {
		var cost any
		if r.CostUSD != nil {
			cost = *r.CostUSD
		}
		if _, err := stmt.ExecContext(ctx, r.Time.UnixMilli(), r.Path, r.Model, r.Status, r.Stream, r.Cache,
			r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheCreationTokens,
			r.Latency.Milliseconds(), r.TTFB.Milliseconds(), cost, r.SavedUSD, r.Route,
			r.CacheWrite5mTokens, r.CacheWrite1hTokens, r.SessionID, r.Project, r.Client,
			r.Credential, r.Interrupted, r.ErrorType); err != nil {
			return err
		}
	}
	if err := upsertRollup(ctx, tx, recs); err != nil {
		return err
	}
	return tx.Commit()
}
