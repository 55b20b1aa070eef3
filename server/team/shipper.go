// Package team ships each cco's usage rows to a PostgreSQL database the
// team shares, and answers team-wide usage questions from it.
//
// The local SQLite database stays the source of truth: a laptop offline
// for a week records locally as ever, and its rows arrive, each exactly
// once, when the team database can be reached again. Wiring it in takes:
//
//	sh, err := team.New(team.Config{URL: cfg.TeamURL}, store, log)
//	writer.OnCommit(sh.Notify)
//	... sh.Status(), sh.Pending(), sh.ShipErrors(), sh.Stats(...)
//	sh.Close(ctx) // at shutdown, before store.Close
package team

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/user"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/analytics"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config says where to ship and how to label the rows.
type Config struct {
	// URL is postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…].
	// Without a password in it, PGPASSWORD or ~/.pgpass (PGPASSFILE)
	// supplies one, as with psql.
	URL string
	// Machine labels rows with where they were recorded; "" is the
	// host name.
	Machine string
	// User labels rows with who made them; "" is the OS user name.
	User string
}

// tuning holds the shipper's timings; tests shorten them.
type tuning struct {
	batch       int           // rows per transaction
	poll        time.Duration // how often to look for rows nobody announced
	backoffMin  time.Duration // first wait after a failure
	backoffMax  time.Duration // the cap on waits between attempts
	dialTimeout time.Duration
	// insert writes a batch in the shipment's transaction; a benchmark
	// swaps in the alternatives that copyRows was measured against.
	insert func(s *Shipper, ctx context.Context, tx pgx.Tx, rows []analytics.Row) error
}

var defaultTuning = tuning{batch: 5000, poll: 5 * time.Second, backoffMin: 500 * time.Millisecond, backoffMax: time.Minute, dialTimeout: 10 * time.Second,
	insert: (*Shipper).copyRows}

// Shipper copies the local rows to the team database in the background.
// None of its methods waits on the network, except Stats and Close.
type Shipper struct {
	cfg    Config
	store  *analytics.Store
	log    *slog.Logger
	tune   tuning
	source [16]byte // not uuid.UUID: pgx would encode that through its string form
	pool   *pgxpool.Pool
	hint   string // meta key of the cursor last seen, for Pending before connecting

	// Used by the loop's goroutine only.
	hintSaved int64
	hintAt    time.Time

	ctx     context.Context // ends when Close's context does
	cancel  context.CancelFunc
	wake    chan struct{}
	closing chan struct{}
	done    chan struct{}
	once    sync.Once

	shipped    atomic.Int64
	shipErrors atomic.Int64
	pending    atomic.Int64

	mu sync.Mutex
	st state
}

// New checks cfg and starts shipping the rows of store in the background.
// It does not wait for the team database: an unreachable one is retried
// and reported by Status.
func New(cfg Config, store *analytics.Store, log *slog.Logger) (*Shipper, error) {
	return newShipper(cfg, store, log, defaultTuning)
}

func newShipper(cfg Config, store *analytics.Store, log *slog.Logger, tune tuning) (*Shipper, error) {
	s, err := build(cfg, store, log, tune)
	if err != nil {
		return nil, err
	}
	go s.run()
	return s, nil
}

// build makes a shipper without starting it.
func build(cfg Config, store *analytics.Store, log *slog.Logger, tune tuning) (*Shipper, error) {
	if err := config.ValidateTeamURL(cfg.URL); err != nil {
		return nil, err
	}
	source, err := uuid.Parse(store.SourceID())
	if err != nil {
		return nil, fmt.Errorf("the usage database %s has no valid source_id (%q); it needs a read-write open by this cco: %w", store.Path(), store.SourceID(), err)
	}
	if cfg.Machine == "" {
		cfg.Machine, _ = os.Hostname()
	}
	if cfg.User == "" {
		cfg.User = osUser()
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("team_url %s: %s", config.RedactURL(cfg.URL), config.ScrubURL(err.Error(), cfg.URL))
	}
	// One connection ships, one answers Stats.
	pc.MaxConns = 2
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > tune.dialTimeout {
		pc.ConnConfig.ConnectTimeout = tune.dialTimeout
	}
	if pc.ConnConfig.RuntimeParams["application_name"] == "" {
		pc.ConnConfig.RuntimeParams["application_name"] = "cco"
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("team_url %s: %s", config.RedactURL(cfg.URL), config.ScrubURL(err.Error(), cfg.URL))
	}
	s := &Shipper{cfg: cfg, store: store, log: log, tune: tune, source: source, pool: pool,
		hint: "team_shipped_id " + config.RedactURL(cfg.URL),
		wake: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.st.url = config.RedactURL(cfg.URL)
	if v, ok, _ := store.Meta(s.ctx, s.hint); ok {
		c, _ := strconv.ParseInt(v, 10, 64)
		s.st.cursor, s.hintSaved = c, c
	}
	if n, err := store.CountAfter(s.ctx, s.st.cursor); err == nil {
		s.pending.Store(n)
	}
	return s, nil
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// Notify says new rows were committed locally; the writer calls it after
// each batch. It never blocks.
func (s *Shipper) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Pending is the number of local rows not yet in the team database (the
// /metrics gauge).
func (s *Shipper) Pending() int64 { return s.pending.Load() }

// ShipErrors counts failed attempts to reach or write the team database
// (the /metrics counter).
func (s *Shipper) ShipErrors() int64 { return s.shipErrors.Load() }

// Close ships what it can until ctx ends, then stops. It returns an error
// saying how many rows are left when some are: they ship at the next start.
func (s *Shipper) Close(ctx context.Context) error {
	s.once.Do(func() {
		stop := context.AfterFunc(ctx, s.cancel)
		defer stop()
		close(s.closing)
		<-s.done
		s.cancel()
		s.pool.Close()
	})
	<-s.done
	if n := s.Pending(); n > 0 {
		st := s.Status()
		why := ""
		if st.LastError != "" {
			why = ": " + st.LastError
		}
		return fmt.Errorf("stopping the team shipper with %d rows not yet shipped (they ship at the next start)%s", n, why)
	}
	return nil
}

// run ships until Close: a pass sends batches until none is left; between
// passes it waits for Notify or the poll, and after a failure for a capped,
// jittered backoff during which Notify only updates the pending count.
func (s *Shipper) run() {
	defer close(s.done)
	defer s.saveHint()
	ready := false
	failures := 0
	for {
		err := s.pass(&ready)
		closing := s.isClosing()
		if err != nil && !(closing && errors.Is(s.ctx.Err(), context.Canceled)) {
			failures++
			s.fail(err)
		} else if err == nil {
			failures = 0
		}
		if closing {
			return
		}
		wait := s.tune.poll
		if failures > 0 {
			wait = backoff(s.tune, failures)
		}
		s.sleep(wait, failures > 0) // woken by Close, the next pass is the last
	}
}

// pass connects (migrating the schema the first time) and ships batches
// until the local database has nothing more.
func (s *Shipper) pass(ready *bool) error {
	if !*ready {
		if err := s.prepare(); err != nil {
			return err
		}
		*ready = true
	}
	var ahead *readAhead
	defer func() { ahead.wait() }()
	for {
		n, next, err := s.shipBatch(s.ctx, ahead)
		ahead = next
		if err != nil {
			// The server may come back as another one (restored, or
			// upgraded by a newer cco): check the schema on reconnect.
			*ready = false
			return err
		}
		s.shipped.Add(int64(n))
		s.succeed(n)
		if n == 0 {
			return nil
		}
	}
}

func (s *Shipper) prepare() error {
	conn, err := s.pool.Acquire(s.ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	return migrate(s.ctx, conn.Conn())
}

// sleep waits d, or until Close is called. Notify ends the
// wait early unless failing, where it only refreshes the pending count,
// so that a busy proxy does not turn the backoff into a busy loop.
func (s *Shipper) sleep(d time.Duration, failing bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return
		case <-s.closing:
			return
		case <-s.wake:
			if !failing {
				return
			}
			s.countPending()
		}
	}
}

func (s *Shipper) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// backoff is the wait after n consecutive failures: doubling from
// backoffMin up to backoffMax, then drawn from its upper half so that the
// daemons of a team do not all return at the same moment after an outage.
func backoff(t tuning, n int) time.Duration {
	d := t.backoffMax
	if n < 30 {
		d = min(t.backoffMin<<(n-1), t.backoffMax)
	}
	return d/2 + rand.N(d/2+1)
}

func (s *Shipper) countPending() {
	s.mu.Lock()
	c := s.st.cursor
	s.mu.Unlock()
	if n, err := s.store.CountAfter(s.ctx, c); err == nil {
		s.pending.Store(n)
	}
}

// setCursor records how far PostgreSQL says this database has shipped,
// and keeps a copy locally for Pending at the next start, before the team
// database is reached. The copy is only ever a display hint.
func (s *Shipper) setCursor(c int64) {
	s.mu.Lock()
	s.st.cursor = c
	s.mu.Unlock()
	// At most once a second: while catching up, a local write per batch
	// would slow shipping down for a figure only Status shows.
	if time.Since(s.hintAt) > time.Second {
		s.saveHint()
	}
}

// saveHint stores the cursor's local copy; run calls it last thing too.
func (s *Shipper) saveHint() {
	s.mu.Lock()
	c := s.st.cursor
	s.mu.Unlock()
	if c != s.hintSaved {
		if s.store.SetMeta(context.Background(), s.hint, strconv.FormatInt(c, 10)) == nil {
			s.hintSaved = c
		}
	}
	s.hintAt = time.Now()
}
