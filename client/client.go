// Package client is the one client of the cco daemon's HTTP API: every
// verb, the status line and the benchmarks reach the daemon through it. The
// API's paths are spelled here and nowhere else outside the server.
package client

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
	"github.com/anthropics/cco/server"
	"github.com/anthropics/cco/server/analytics"
)

// ErrNotRunning means nothing accepts connections at the daemon's address.
var ErrNotRunning = errors.New("the cco daemon is not running")

// ErrNoAnswer means the connection was cut before an answer came, as a
// daemon that is shutting down cuts its connections. A request that timed
// out is not this: the daemon is there, and hung.
var ErrNoAnswer = errors.New("the connection was cut before an answer")

// APIError is an error answer from the daemon, in the Anthropic API's shape.
type APIError struct {
	Status  int
	Type    string
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the daemon answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("the daemon answered %d: %s", e.Status, e.Message)
}

// Client talks to one daemon. Requests that need the token (control, and
// views of a daemon listening beyond loopback) carry it from
// CCO_HOME/daemon.token, and only once the daemon at the address has
// proved it knows that token (Prove): a stale address, where another
// program now listens, never receives it.
type Client struct {
	base      string
	tokenPath string
	http      *http.Client
	proved    *server.Identity
}

// The daemon is local: an answer that takes longer than this is a daemon
// that is not answering. Statistics over a large database take longer.
const (
	probeTimeout = 2 * time.Second
	queryTimeout = 30 * time.Second
)

// transport never goes through a proxy from the environment (the daemon is
// on this machine) and keeps no idle connections, which would outlive a
// short-lived command.
var transport = &http.Transport{Proxy: nil, DisableKeepAlives: true}

// New is a client of the daemon at base (http://host:port) whose token is
// at tokenPath.
func New(base, tokenPath string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), tokenPath: tokenPath, http: &http.Client{Transport: transport}}
}

// For is a client of the daemon a pid file describes.
func For(info platform.PidInfo, paths config.Paths) *Client {
	return New((&config.Config{Host: info.Host, Port: info.Port}).URL(), paths.Token)
}

// ForConfig is a client of cfg's daemon: at the address its pid file
// records when there is one (the configuration may have changed since it
// started), else at the configured one.
func ForConfig(cfg *config.Config) *Client {
	paths := cfg.Paths()
	if info, err := platform.ReadPidFile(paths.Pid); err == nil && info.Port > 0 && info.Host != "" {
		return For(info, paths)
	}
	return New(cfg.URL(), paths.Token)
}

// URL is the daemon's base URL.
func (c *Client) URL() string { return c.base }

// Health is GET /health.
func (c *Client) Health(ctx context.Context) (server.Health, error) {
	var h server.Health
	err := c.do(ctx, probeTimeout, http.MethodGet, "/health", authNone, &h)
	return h, err
}

// Ready reports whether GET /ready answers 200.
func (c *Client) Ready(ctx context.Context) (bool, error) {
	var r server.Ready
	err := c.do(ctx, probeTimeout, http.MethodGet, "/ready", authNone, &r)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
		return false, nil
	}
	return err == nil, err
}

// Status is GET /api/status.
func (c *Client) Status(ctx context.Context) (*server.Status, error) {
	var st server.Status
	if err := c.do(ctx, probeTimeout, http.MethodGet, "/api/status", authIfAsked, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// StatsQuery selects what GET /api/stats reports: a range, and one
// session or project. By (Groups) groups it, at most Limit groups.
type StatsQuery struct {
	Since, Until     time.Time
	Session, Project string
	By               string
	Limit            int
}

func (q StatsQuery) values() url.Values {
	v := url.Values{}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	for k, val := range map[string]string{"session": q.Session, "project": q.Project, "by": q.By} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// Stats is GET /api/stats.
func (c *Client) Stats(ctx context.Context, q StatsQuery) (*analytics.Stats, error) {
	var st analytics.Stats
	if err := c.do(ctx, queryTimeout, http.MethodGet, "/api/stats?"+q.values().Encode(), authIfAsked, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Summary is GET /api/summary: the session's and today's spend, the
// budgets and the plan, answered from the daemon's memory (the status
// line asks on every update). timeout bounds the whole exchange.
func (c *Client) Summary(ctx context.Context, session string, timeout time.Duration) (*server.Summary, error) {
	var s server.Summary
	if err := c.do(ctx, timeout, http.MethodGet, "/api/summary?"+url.Values{"session": {session}}.Encode(), authIfAsked, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Groups is GET /api/stats?by=...: the calls grouped by q.By.
func (c *Client) Groups(ctx context.Context, q StatsQuery) (*analytics.GroupStats, error) {
	var gs analytics.GroupStats
	if err := c.do(ctx, queryTimeout, http.MethodGet, "/api/stats?"+q.values().Encode(), authIfAsked, &gs); err != nil {
		return nil, err
	}
	return &gs, nil
}

// Reload is POST /api/reload: the daemon re-reads its configuration. A
// configuration it refuses is an *APIError with status 400.
func (c *Client) Reload(ctx context.Context) (*server.ReloadResult, error) {
	var res server.ReloadResult
	if err := c.do(ctx, queryTimeout, http.MethodPost, "/api/reload", authAlways, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Shutdown is POST /api/shutdown: a clean stop, as SIGTERM would.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.do(ctx, probeTimeout, http.MethodPost, "/api/shutdown", authAlways, nil)
}

// ErrNotProved means the process answering at the daemon's address could
// not prove it is the daemon of this CCO_HOME.
var ErrNotProved = errors.New("the process at the daemon's address did not prove it is this CCO_HOME's daemon")

// Prove asks the daemon to prove, by an HMAC of a fresh nonce under the
// token in CCO_HOME, that it is this CCO_HOME's daemon; it returns what the
// daemon says about itself. The token itself is never sent.
func (c *Client) Prove(ctx context.Context) (server.Identity, error) {
	if c.proved != nil {
		return *c.proved, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return server.Identity{}, err
	}
	nonce := hex.EncodeToString(b)
	var id server.Identity
	if err := c.do(ctx, probeTimeout, http.MethodGet, "/api/identity?nonce="+nonce, authNone, &id); err != nil {
		return id, err
	}
	tok, err := server.ReadToken(c.tokenPath)
	if err != nil {
		return id, err
	}
	home := filepath.Dir(c.tokenPath)
	want := server.IdentityProof(tok, nonce, id.PID, id.Home)
	if !hmac.Equal([]byte(want), []byte(id.Proof)) || !samePath(id.Home, home) {
		return id, fmt.Errorf("%w (at %s, pid %d, home %s); the control token was not sent", ErrNotProved, c.base, id.PID, id.Home)
	}
	c.proved = &id
	return id, nil
}

// samePath compares directories as the file system sees them.
func samePath(a, b string) bool {
	if a == b {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// auth says when a request carries the token.
type auth int

const (
	authNone    auth = iota
	authIfAsked      // views: only when the daemon answers 401 (it listens beyond loopback)
	authAlways       // control requests
)

// do sends one request and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, timeout time.Duration, method, path string, a auth, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := c.send(ctx, method, path, a == authAlways, out)
	var ae *APIError
	if a == authIfAsked && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		err = c.send(ctx, method, path, true, out)
	}
	return err
}

func (c *Client) send(ctx context.Context, method, path string, withToken bool, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return err
	}
	if withToken {
		if _, err := c.Prove(ctx); err != nil {
			return err
		}
		tok, err := server.ReadToken(c.tokenPath)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if refused(err) {
			return ErrNotRunning
		}
		if !timedOut(err) {
			err = fmt.Errorf("%w (%w)", ErrNoAnswer, err)
		}
		return fmt.Errorf("asking the daemon at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 64<<20)
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Type, Message string } `json:"error"`
		}
		_ = json.NewDecoder(body).Decode(&e)
		return &APIError{Status: resp.StatusCode, Type: e.Error.Type, Message: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(body).Decode(out); err != nil {
		return fmt.Errorf("reading the daemon's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// timedOut reports a request that ran out of time: its context's or the
// network's deadline.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// refused reports a connection nobody accepted: no daemon listens there.
func refused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial" && !op.Timeout())
}
