package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// kind says how a key's raw value (a TOML value, or a string from the
// environment or a flag) is parsed and written back.
type kind int

const (
	kindInt kind = iota
	kindString
	kindSize
	kindSeconds
	kindBool
	kindDollars
)

// Key describes one configuration key: its default, what is allowed, and how
// a parsed value lands in Config.
type Key struct {
	Name    string
	Default string
	Allowed string
	kind    kind
	check   func(v any) error
	assign  func(c *Config, v any)
	secret  bool // a password may be in it: shown redacted (RedactURL)
}

// EnvName is the environment variable that overrides the key.
func (k Key) EnvName() string { return "CCO_" + strings.ToUpper(k.Name) }

// FlagName is the command-line flag that overrides the key, where one exists.
func (k Key) FlagName() string { return strings.ReplaceAll(k.Name, "_", "-") }

// Keys lists every configuration key in the order they are shown.
var Keys = []Key{
	{Name: "port", Default: "3000", Allowed: "an integer from 1 to 65535", kind: kindInt,
		check:  intRange(1, 65535),
		assign: func(c *Config, v any) { c.Port = int(v.(int64)) }},
	{Name: "host", Default: "127.0.0.1", Allowed: "an IP address or host name", kind: kindString,
		check:  checkHost,
		assign: func(c *Config, v any) { c.Host = v.(string) }},
	{Name: "log_level", Default: "info", Allowed: "one of debug, info, warn, error", kind: kindString,
		check:  oneOf("debug", "info", "warn", "error"),
		assign: func(c *Config, v any) { c.LogLevel = v.(string) }},
	{Name: "log_format", Default: "text", Allowed: "one of text, json", kind: kindString,
		check:  oneOf("text", "json"),
		assign: func(c *Config, v any) { c.LogFormat = v.(string) }},
	{Name: "log_rotation_size", Default: "10MiB", Allowed: "a size of at least 1MiB (bytes, or with a unit such as 10MiB or 20MB)", kind: kindSize,
		check:  sizeAtLeast(1 << 20),
		assign: func(c *Config, v any) { c.LogRotationSize = v.(int64) }},
	{Name: "log_max_files", Default: "5", Allowed: "an integer from 1 to 1000", kind: kindInt,
		check:  intRange(1, 1000),
		assign: func(c *Config, v any) { c.LogMaxFiles = int(v.(int64)) }},
	{Name: "cache_size", Default: "1GiB", Allowed: "a size greater than 0 (bytes, or with a unit such as 512MiB or 1GB)", kind: kindSize,
		check:  sizeAtLeast(1),
		assign: func(c *Config, v any) { c.CacheSize = v.(int64) }},
	{Name: "cache_ttl", Default: "3600", Allowed: "a duration of at least 1s (seconds, or with a unit such as 90s, 30m or 2h)", kind: kindSeconds,
		check:  durationAtLeast(time.Second),
		assign: func(c *Config, v any) { c.CacheTTL = v.(time.Duration) }},
	{Name: "database_url", Default: "sqlite://analytics.db", Allowed: "sqlite://PATH (a relative PATH is under CCO_HOME)", kind: kindString,
		check:  checkDatabaseURL,
		assign: func(c *Config, v any) { c.DatabaseURL = v.(string) }},
	{Name: "upstream_url", Default: "https://api.anthropic.com", Allowed: "an http:// or https:// URL with a host", kind: kindString,
		check:  checkUpstream,
		assign: func(c *Config, v any) { c.UpstreamURL = strings.TrimRight(v.(string), "/") }},
	{Name: "auto_start", Default: "true", Allowed: "true or false (also yes/no, on/off, 1/0)", kind: kindBool,
		assign: func(c *Config, v any) { c.AutoStart = v.(bool) }},
	{Name: "health_checks", Default: "true", Allowed: "true or false (also yes/no, on/off, 1/0)", kind: kindBool,
		assign: func(c *Config, v any) { c.HealthChecks = v.(bool) }},
	{Name: "health_check_interval", Default: "30", Allowed: "a duration of at least 1s (seconds, or with a unit such as 90s or 5m)", kind: kindSeconds,
		check:  durationAtLeast(time.Second),
		assign: func(c *Config, v any) { c.HealthCheckInterval = v.(time.Duration) }},
	{Name: "max_body_size", Default: "32MiB", Allowed: "a size greater than 0 (bytes, or with a unit such as 32MiB)", kind: kindSize,
		check:  sizeAtLeast(1),
		assign: func(c *Config, v any) { c.MaxBodySize = v.(int64) }},
	{Name: "budget_daily_usd", Default: "0", Allowed: "US dollars from 0 to 1000000000 (0: no daily budget)", kind: kindDollars,
		assign: func(c *Config, v any) { c.BudgetDailyUSD = v.(float64) }},
	{Name: "budget_session_usd", Default: "0", Allowed: "US dollars from 0 to 1000000000 (0: no budget per Claude Code session)", kind: kindDollars,
		assign: func(c *Config, v any) { c.BudgetSessionUSD = v.(float64) }},
	{Name: "budget_include_subscription", Default: "false", Allowed: "true or false (also yes/no, on/off, 1/0)", kind: kindBool,
		assign: func(c *Config, v any) { c.BudgetIncludeSubscription = v.(bool) }},
	{Name: "team_url", Default: "", Allowed: "empty (off), or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]", kind: kindString,
		check: checkTeamURL, secret: true,
		assign: func(c *Config, v any) { c.TeamURL = v.(string) }},
	{Name: "machine", Default: defaultMachine(), Allowed: "a label of 1 to 64 printable characters (the default is this machine's host name)", kind: kindString,
		check:  checkLabel,
		assign: func(c *Config, v any) { c.Machine = v.(string) }},
	{Name: "user", Default: defaultUser(), Allowed: "a label of 1 to 64 printable characters (default: your user name)", kind: kindString,
		check:  checkLabel,
		assign: func(c *Config, v any) { c.User = v.(string) }},
}

// LookupKey finds a key by name, accepting the flag spelling (cache-size) too.
func LookupKey(name string) (Key, bool) {
	name = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "-", "_")
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

// KeyNames is the list shown when a key is not known.
func KeyNames() string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return strings.Join(names, ", ")
}

// parse turns a raw value into the key's Go type and validates it.
func (k Key) parse(raw any) (any, error) {
	var v any
	var err error
	switch k.kind {
	case kindInt:
		v, err = toInt(raw)
	case kindString:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(raw))
		}
		v = strings.TrimSpace(s)
	case kindSize:
		v, err = toSize(raw)
	case kindSeconds:
		v, err = toSeconds(raw)
	case kindBool:
		v, err = toBool(raw)
	case kindDollars:
		v, err = toDollars(raw)
	}
	if err != nil {
		return nil, err
	}
	if k.check != nil {
		if err := k.check(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// tomlLiteral renders a command-line value as the TOML literal that keeps
// its meaning: numbers stay numbers, sizes with units become strings.
func (k Key) tomlLiteral(value string) (string, error) {
	if _, err := k.parse(value); err != nil {
		return "", err
	}
	value = strings.TrimSpace(value)
	switch k.kind {
	case kindInt:
		return value, nil
	case kindBool:
		b, _ := toBool(value)
		return strconv.FormatBool(b), nil
	case kindDollars:
		d, _ := toDollars(value)
		return strconv.FormatFloat(d, 'f', -1, 64), nil
	case kindSize, kindSeconds:
		if _, err := strconv.ParseInt(value, 10, 64); err == nil {
			return value, nil
		}
	}
	return strconv.Quote(value), nil
}

func describe(raw any) string {
	switch raw.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, int, float64:
		return "a number"
	case map[string]any:
		return "a table"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", raw)
}

func toInt(raw any) (int64, error) {
	return integer(raw, "a whole number", func(v string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", v)
		}
		return n, nil
	})
}

// integer reads a value TOML gives as an integer, or a string the way
// parse reads it (flags and the environment are strings).
func integer(raw any, want string, parse func(string) (int64, error)) (int64, error) {
	switch v := raw.(type) {
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	case string:
		return parse(v)
	}
	return 0, fmt.Errorf("want %s, got %s", want, describe(raw))
}

// toDollars reads an amount of US dollars, 0 or more: 5, 2.50, "$2.50".
func toDollars(raw any) (float64, error) {
	var f float64
	switch v := raw.(type) {
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	case float64:
		f = v
	case string:
		n, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(v), "$"), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an amount of dollars", v)
		}
		f = n
	default:
		return 0, fmt.Errorf("want an amount of dollars, got %s", describe(raw))
	}
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > 1e9 {
		return 0, fmt.Errorf("%v is not an amount from 0 to 1000000000", raw)
	}
	return f, nil
}

func toBool(raw any) (bool, error) {
	switch v := raw.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off":
			return false, nil
		}
		return false, fmt.Errorf("%q is not a boolean", v)
	}
	return false, fmt.Errorf("want true or false, got %s", describe(raw))
}

var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$`)

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize reads a byte count: plain bytes, or a number with a decimal (KB,
// MB, GB) or binary (KiB, MiB, GiB) unit.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("%q has an unknown unit %q (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", s, m[2])
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n*mult > 1<<62 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(n * mult), nil
}

func toSize(raw any) (int64, error) { return integer(raw, "a size", ParseSize) }

func toSeconds(raw any) (time.Duration, error) {
	switch v := raw.(type) {
	case int64:
		if v > int64(1<<62/time.Second) {
			return 0, fmt.Errorf("%d seconds is too long", v)
		}
		return time.Duration(v) * time.Second, nil
	case int:
		return toSeconds(int64(v))
	case string:
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return toSeconds(n)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (use seconds, or a unit such as 90s, 30m or 2h)", v)
		}
		return d, nil
	}
	return 0, fmt.Errorf("want a number of seconds, got %s", describe(raw))
}

func intRange(lo, hi int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n < lo || n > hi {
			return fmt.Errorf("%d is out of range", n)
		}
		return nil
	}
}

func sizeAtLeast(min int64) func(any) error {
	return func(v any) error {
		if n := v.(int64); n < min {
			return fmt.Errorf("%d bytes is too small", n)
		}
		return nil
	}
}

// durationAtLeast keeps intervals sane: a health check every millisecond
// spins a core and grows the database's log; a cache entry that lives a
// nanosecond is no cache.
func durationAtLeast(min time.Duration) func(any) error {
	return func(v any) error {
		if d := v.(time.Duration); d < min {
			return fmt.Errorf("%s is too short", d)
		}
		return nil
	}
}

func oneOf(allowed ...string) func(any) error {
	return func(v any) error {
		for _, a := range allowed {
			if v.(string) == a {
				return nil
			}
		}
		return fmt.Errorf("%q is not allowed", v)
	}
}

var hostnameRE = regexp.MustCompile(`^(?i:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.(?i:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?))*$`)

func checkHost(v any) error {
	h := v.(string)
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return nil
	}
	if h == "" || len(h) > 253 || !hostnameRE.MatchString(h) {
		return fmt.Errorf("%q is not an IP address or host name", h)
	}
	return nil
}

func checkDatabaseURL(v any) error {
	s := v.(string)
	path, ok := strings.CutPrefix(s, "sqlite://")
	if !ok || path == "" {
		return fmt.Errorf("%q is not a sqlite:// URL with a path", s)
	}
	return nil
}

func checkTeamURL(v any) error {
	s := v.(string)
	if s == "" {
		return nil
	}
	if problem, _ := teamURLProblem(s); problem != "" {
		return errors.New(problem)
	}
	return nil
}

// checkLabel accepts the labels team rows carry (machine, user).
func checkLabel(v any) error {
	s := v.(string)
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%q is not 1 to 64 characters", s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%q has a character that is not printable", s)
		}
	}
	return nil
}

// defaultMachine and defaultUser label team rows when machine and user
// are not set.
func defaultMachine() string {
	if h, err := os.Hostname(); err == nil && checkLabel(h) == nil {
		return h
	}
	return "unknown-host"
}

func defaultUser() string {
	if u, err := user.Current(); err == nil && checkLabel(u.Username) == nil {
		return u.Username
	}
	if n := os.Getenv("USER"); checkLabel(n) == nil {
		return n
	}
	return "unknown-user"
}

func checkUpstream(v any) error {
	s := v.(string)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	return nil
}

// UnknownKey is the error for a key cco does not know, with the nearest
// known one when a typo is likely ("prot": did you mean port?).
func UnknownKey(where, name string) *Error {
	msg := "unknown key"
	if near := nearestKey(name); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return &Error{Where: where, Key: name, Msg: msg, Allowed: KeyNames()}
}

// nearestKey is the known key within two edits of name, if exactly one
// is nearest.
func nearestKey(name string) string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return nearest(strings.ReplaceAll(strings.ToLower(name), "-", "_"), names)
}

// nearest is the one candidate within two edits of name nearest to it; ""
// when none is, or two are equally near.
func nearest(name string, candidates []string) string {
	best, bestD, tie := "", 3, false
	for _, c := range candidates {
		switch d := editDistance(name, c); {
		case d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance, with a swap of two adjacent
// letters counted as one edit (prot -> port).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
