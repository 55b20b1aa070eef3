package team

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/jackc/pgx/v5/pgconn"
)

// Status is the shipper's state for /api/status (as "team") and cco status.
type Status struct {
	URL           string     `json:"url"`       // team_url, password hidden
	Connected     bool       `json:"connected"` // the last attempt reached the database and logged in
	Shipped       int64      `json:"shipped"`   // rows this daemon has shipped since it started
	Pending       int64      `json:"pending"`   // local rows not yet in the team database
	LastShippedAt *time.Time `json:"last_shipped_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"` // why the last attempt failed, with the likely fix
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	// FailingSince is when the current run of failures began; nil while
	// shipping works.
	FailingSince *time.Time `json:"failing_since,omitempty"`
}

// state is what the loop tells Status, under Shipper.mu.
type state struct {
	url           string
	cursor        int64
	connected     bool
	lastShippedAt time.Time
	lastErr       string
	lastErrAt     time.Time
	failingSince  time.Time
}

// Status reports the shipper's state; it never waits on the network.
func (s *Shipper) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{URL: s.st.url, Connected: s.st.connected, Shipped: s.shipped.Load(), Pending: s.pending.Load(), LastError: s.st.lastErr}
	st.LastShippedAt = timePtr(s.st.lastShippedAt)
	st.LastErrorAt = timePtr(s.st.lastErrAt)
	st.FailingSince = timePtr(s.st.failingSince)
	return st
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// String is the cco status line, such as "team: 12 rows pending, database
// unreachable since 14:02: connection refused by 10.0.0.5:5432 (is
// PostgreSQL running and listening there?)".
func (st Status) String() string {
	pending := "up to date"
	if st.FailingSince != nil {
		pending = "nothing pending"
	}
	if st.Pending > 0 {
		pending = fmt.Sprintf("%d rows pending", st.Pending)
		if st.Pending == 1 {
			pending = "1 row pending"
		}
	}
	switch {
	case st.FailingSince != nil && !st.Connected:
		return fmt.Sprintf("team: %s, database unreachable since %s: %s", pending, clock(*st.FailingSince), st.LastError)
	case st.FailingSince != nil:
		return fmt.Sprintf("team: %s, shipping failing since %s: %s", pending, clock(*st.FailingSince), st.LastError)
	case st.LastShippedAt != nil:
		return fmt.Sprintf("team: %s, last shipped at %s", pending, clock(*st.LastShippedAt))
	case st.Connected:
		return fmt.Sprintf("team: %s", pending)
	}
	return fmt.Sprintf("team: %s, connecting to %s", pending, st.URL)
}

// clock shows a time as the hour of day when it is today, else with its date.
func clock(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func (s *Shipper) succeed(n int) {
	now := time.Now()
	s.mu.Lock()
	wasFailing := !s.st.failingSince.IsZero()
	s.st.connected = true
	s.st.failingSince = time.Time{}
	if n > 0 {
		s.st.lastShippedAt = now
	}
	s.mu.Unlock()
	if wasFailing {
		s.log.Info("team database reachable again", "url", s.st.url)
	}
}

func (s *Shipper) fail(err error) {
	n := s.shipErrors.Add(1)
	msg := s.describe(err)
	now := time.Now()
	s.mu.Lock()
	first := s.st.failingSince.IsZero()
	if first {
		s.st.failingSince = now
	}
	s.st.connected = !isConnectError(err)
	s.st.lastErr, s.st.lastErrAt = msg, now
	s.mu.Unlock()
	s.countPending()
	// Once per outage at warning level; the retries only at debug.
	if first {
		s.log.Warn("team shipping failed; rows are kept locally and retried", "url", s.st.url, "err", msg, "pending", s.Pending())
	} else {
		s.log.Debug("team shipping failed again", "err", msg, "attempts", n)
	}
}

// describe turns err into a message that names the cause and the likely
// fix, with the password scrubbed out.
func (s *Shipper) describe(err error) string {
	return config.ScrubURL(describe(err), s.cfg.URL)
}

func describe(err error) string {
	var pe *pgconn.PgError
	var dns *net.DNSError
	switch {
	case errors.Is(err, ErrSchemaTooNew):
		return err.Error()
	case errors.As(err, &pe):
		switch pe.Code {
		case "28P01":
			return pe.Message + " (fix the password in team_url, PGPASSWORD or ~/.pgpass)"
		case "28000":
			return pe.Message + " (the server's pg_hba.conf does not let this user in from here)"
		case "3D000":
			return pe.Message + " (create it, or fix the database name in team_url)"
		case "42501":
			return pe.Message + " (grant the team_url user rights on the cco tables)"
		}
		return fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused by %s (is PostgreSQL running and listening there?)", addr(err))
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("%s closed the connection (is PostgreSQL restarting or shutting down?)", addr(err))
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve host %s (%s)", dns.Name, dns.Err)
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("no answer from %s in time (is the host up, and the port open?)", addr(err))
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// addr is the host:port a connection error was about.
func addr(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		return oe.Addr.String()
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Config != nil {
		return net.JoinHostPort(ce.Config.Host, fmt.Sprint(ce.Config.Port))
	}
	return "the server"
}

// isConnectError reports whether err happened while connecting, as
// opposed to on a working connection.
func isConnectError(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// explained is an error told the way describe tells it, still matching
// what it wraps (errors.Is(err, ErrSchemaTooNew) holds).
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

func explain(doing string, err error, url string) error {
	return &explained{msg: doing + ": " + config.ScrubURL(describe(err), url), err: err}
}
