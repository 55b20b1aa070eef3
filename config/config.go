// Package config loads, validates and edits cco's configuration: the
// [daemon] table of CCO_HOME/config.toml, overridden by CCO_<KEY>
// environment variables and then by command-line flags.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anthropics/cco/platform"
)

// Source says where an effective value came from.
type Source string

const (
	SourceDefault Source = "default"
	SourceFile    Source = "file"
	SourceEnv     Source = "env"
	SourceFlag    Source = "flag"
)

// Config is the effective configuration of one cco process.
type Config struct {
	Port                int
	Host                string
	LogLevel            string
	LogFormat           string
	LogRotationSize     int64
	LogMaxFiles         int
	CacheSize           int64
	CacheTTL            time.Duration
	DatabaseURL         string
	UpstreamURL         string
	AutoStart           bool
	HealthChecks        bool
	HealthCheckInterval time.Duration
	MaxBodySize         int64

	// Budgets, in US dollars (0: none): what the day (local time) and one
	// Claude Code session may cost before new calls are refused.
	BudgetDailyUSD            float64
	BudgetSessionUSD          float64
	BudgetIncludeSubscription bool // count subscription calls at their API-equivalent price

	// TeamURL is where usage rows are shipped ("": nowhere); Machine and
	// User label them.
	TeamURL string
	Machine string
	User    string

	// Prices overrides the price dataset, by model family.
	Prices map[string]Price

	Home    string            // CCO_HOME
	File    string            // the config file read (it may not exist)
	Sources map[string]Source // key name -> where its value came from
	raw     map[string]string // key name -> value as given, for show/get
}

// Price is the cost of a model family in US dollars per million tokens.
// CacheWrite is the 5-minute cache write; CacheWrite1h, the 1-hour one, is
// nil when not configured (server/prices then charges 2x Input).
type Price struct {
	Input        float64  `json:"input"`
	Output       float64  `json:"output"`
	CacheRead    float64  `json:"cache_read"`
	CacheWrite   float64  `json:"cache_write"`
	CacheWrite1h *float64 `json:"cache_write_1h,omitempty"`
}

// ErrInvalid marks every configuration error, so callers can map it to the
// usage/config exit code.
var ErrInvalid = errors.New("invalid configuration")

// Error is one bad value: where it came from, which key, and what is allowed.
type Error struct {
	Where   string // file path, environment variable or flag; "" for a command's argument
	Key     string
	Msg     string
	Allowed string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Where)
	if e.Key != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Key)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Allowed != "" {
		b.WriteString(" (allowed: " + e.Allowed + ")")
	}
	return b.String()
}

func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Addr is the host:port the daemon listens on.
func (c *Config) Addr() string {
	return joinHostPort(c.Host, c.Port)
}

// URL is the base URL clients use to reach the daemon.
func (c *Config) URL() string {
	host := c.Host
	switch host {
	case "0.0.0.0", "", "::", "[::]":
		host = "127.0.0.1"
	}
	return "http://" + joinHostPort(host, c.Port)
}

func joinHostPort(host string, port int) string {
	host = strings.Trim(host, "[]")
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// DatabasePath resolves database_url to a file path; relative paths are
// under CCO_HOME so that the service and a terminal agree on one file.
func (c *Config) DatabasePath() string {
	p := strings.TrimPrefix(c.DatabaseURL, "sqlite://")
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Home, p)
}

// Value is the effective value of a key as cco shows it.
func (c *Config) Value(name string) string { return c.raw[name] }

// Paths are the files cco keeps in CCO_HOME. They need no valid
// configuration, so that stop, status and logs work with a broken config
// file.
type Paths struct {
	Home     string
	Config   string // the default config file (--config may name another)
	Lock     string // held by the running daemon for its whole life
	Pid      string // what the running daemon says about itself
	Log      string
	Token    string // the control endpoints' secret
	LastExit string // why the last run failed, written by the daemon
}

// PathsIn are the files in home.
func PathsIn(home string) Paths {
	return Paths{
		Home: home, Config: DefaultFile(home), Lock: filepath.Join(home, "daemon.lock"),
		Pid: filepath.Join(home, "daemon.pid"), Log: filepath.Join(home, "daemon.log"),
		Token: filepath.Join(home, "daemon.token"), LastExit: filepath.Join(home, "daemon.exit"),
	}
}

// Paths are the files in this configuration's CCO_HOME.
func (c *Config) Paths() Paths { return PathsIn(c.Home) }

func (c *Config) LogPath() string   { return c.Paths().Log }
func (c *Config) PidPath() string   { return c.Paths().Pid }
func (c *Config) LockPath() string  { return c.Paths().Lock }
func (c *Config) TokenPath() string { return c.Paths().Token }

// HomeDir resolves CCO_HOME: the variable when set, else ~/.cco.
func HomeDir() (string, error) {
	if h := os.Getenv("CCO_HOME"); h != "" {
		abs, err := filepath.Abs(h)
		if err != nil {
			return "", fmt.Errorf("resolving CCO_HOME %q: %w", h, err)
		}
		return abs, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home directory for ~/.cco: %w; set CCO_HOME", err)
	}
	return filepath.Join(home, ".cco"), nil
}

// EnsureHome creates CCO_HOME (mode 0700) when it is missing. One that
// exists is used as it is, never chmodded, and refused when it is not a
// directory, belongs to another user, or is writable by group or others
// (platform.CheckPrivateDir says why). It checks what it created too, so
// a directory someone else made at that moment is not taken for ours.
func EnsureHome(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("creating the parent of CCO_HOME %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating CCO_HOME %s: %w", dir, err)
	}
	return CheckHome(dir)
}

// CheckHome applies EnsureHome's rules to a CCO_HOME that exists, creating
// nothing: verbs that only look (status, stop) must not write into a
// directory others control either. A missing CCO_HOME passes.
func CheckHome(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("checking CCO_HOME %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("CCO_HOME %s is a file, not a directory; move it away or set CCO_HOME to another path", dir)
	}
	return platform.CheckPrivateDir(dir, fi)
}
