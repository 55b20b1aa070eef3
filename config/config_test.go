package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolate gives the test its own CCO_HOME and HOME and clears CCO_* keys.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("CCO_HOME", filepath.Join(home, ".cco"))
	for _, k := range Keys {
		t.Setenv(k.EnvName(), "")
	}
	return filepath.Join(home, ".cco")
}

func writeConfig(t *testing.T, home, body string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(home, 0o700))
	p := DefaultFile(home)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestDefaults(t *testing.T) {
	home := isolate(t)
	c, err := Load(Options{})
	require.NoError(t, err)
	assert.Equal(t, 3000, c.Port)
	assert.Equal(t, "127.0.0.1", c.Host)
	assert.Equal(t, "info", c.LogLevel)
	assert.Equal(t, "text", c.LogFormat)
	assert.EqualValues(t, 10<<20, c.LogRotationSize)
	assert.Equal(t, 5, c.LogMaxFiles)
	assert.EqualValues(t, 1<<30, c.CacheSize)
	assert.Equal(t, time.Hour, c.CacheTTL)
	assert.Equal(t, "sqlite://analytics.db", c.DatabaseURL)
	assert.Equal(t, filepath.Join(home, "analytics.db"), c.DatabasePath())
	assert.Equal(t, "https://api.anthropic.com", c.UpstreamURL)
	assert.True(t, c.AutoStart)
	assert.True(t, c.HealthChecks)
	assert.Equal(t, 30*time.Second, c.HealthCheckInterval)
	assert.Equal(t, home, c.Home)
	assert.Equal(t, "http://127.0.0.1:3000", c.URL())
	for _, k := range Keys {
		assert.Equal(t, SourceDefault, c.Sources[k.Name], k.Name)
	}
}

func TestValidationBounds(t *testing.T) {
	cases := []struct {
		key, good, bad string
	}{
		{"port", "1", "0"},
		{"port", "65535", "65536"},
		{"port", "8080", "abc"},
		{"host", "localhost", "bad host!"},
		{"host", "::1", "-lead.example"},
		{"log_level", "debug", "verbose"},
		{"log_level", "error", "INFO "},
		{"log_format", "json", "xml"},
		{"log_rotation_size", "1MiB", "1048575"},
		{"log_rotation_size", "1048576", "1KB"},
		{"log_max_files", "1", "0"},
		{"log_max_files", "1000", "1001"},
		{"cache_size", "1", "0"},
		{"cache_size", "512MiB", "12XB"},
		{"cache_size", "1GB", "-5"},
		{"cache_ttl", "1", "0"},
		{"cache_ttl", "90s", "-1"},
		{"cache_ttl", "2h", "soon"},
		{"cache_ttl", "1s", "1ns"},
		{"database_url", "sqlite:///tmp/x.db", "postgres://x"},
		{"database_url", "sqlite://a.db", "sqlite://"},
		{"upstream_url", "http://127.0.0.1:9", "ftp://x"},
		{"upstream_url", "https://api.anthropic.com/", "https://"},
		{"auto_start", "false", "maybe"},
		{"health_checks", "true", "2"},
		{"health_check_interval", "1", "0"},
		{"health_check_interval", "1s", "1ms"},
		{"health_check_interval", "5m", "999ms"},
		{"max_body_size", "1", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.good+"|"+tc.bad, func(t *testing.T) {
			isolate(t)
			t.Setenv("CCO_"+strings.ToUpper(tc.key), tc.good)
			_, err := Load(Options{})
			require.NoError(t, err)

			t.Setenv("CCO_"+strings.ToUpper(tc.key), tc.bad)
			_, err = Load(Options{})
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), "CCO_"+strings.ToUpper(tc.key))
			assert.Contains(t, err.Error(), "allowed:")
		})
	}
}

func TestSizesAndDurations(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "512": 512, "1KB": 1000, "1KiB": 1024, "512MiB": 512 << 20, "1GB": 1e9, "1.5GiB": 3 << 29, "2 gib": 2 << 30} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "MiB", "1ZB", "1e9", "-1", "99999999999TiB"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
	assert.Equal(t, "1GiB", FormatSize(1<<30))
	assert.Equal(t, "1000", FormatSize(1000))
}

func TestPrecedence(t *testing.T) {
	home := isolate(t)
	writeConfig(t, home, "[daemon]\nport = 4001\nhost = \"localhost\"\nlog_level = \"warn\"\n")
	t.Setenv("CCO_HOST", "127.0.0.2")
	t.Setenv("CCO_LOG_LEVEL", "error")
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs, "log_level", "port")
	require.NoError(t, fs.Parse([]string{"--log-level=debug"}))

	c, err := Load(Options{Flags: fs})
	require.NoError(t, err)
	assert.Equal(t, 4001, c.Port)
	assert.Equal(t, SourceFile, c.Sources["port"])
	assert.Equal(t, "127.0.0.2", c.Host)
	assert.Equal(t, SourceEnv, c.Sources["host"])
	assert.Equal(t, "debug", c.LogLevel)
	assert.Equal(t, SourceFlag, c.Sources["log_level"])
	assert.Equal(t, SourceDefault, c.Sources["cache_size"])
	assert.Equal(t, []string{"--log-level=debug"}, FlagArgs(fs))
}

func TestBadFlagNamed(t *testing.T) {
	isolate(t)
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	AddFlags(fs, "port")
	require.NoError(t, fs.Parse([]string{"--port", "99999"}))
	_, err := Load(Options{Flags: fs})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "flag --port: 99999 is out of range")
}

// A config file that cannot be used is refused with ErrInvalid and an
// error that says where ($FILE is the file's path).
func TestInvalidFileSaysWhere(t *testing.T) {
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"unknown key and table", "[daemon]\nprot = 1\n[extra]\nx = 1\n",
			[]string{"$FILE: daemon.prot: unknown key", "$FILE: extra: unknown table or key"}},
		{"bad values name file, key and value", "[daemon]\nport = 70000\ncache_size = \"lots\"\n",
			[]string{"$FILE: daemon.port: 70000 is out of range (allowed: an integer from 1 to 65535)", `$FILE: daemon.cache_size: "lots" is not a size`}},
		{"syntax error has the line", "[daemon]\nport = 3000\nhost = \"unterminated\n",
			[]string{"$FILE:3:", "TOML syntax error"}},
		{"binary junk", "\x00\x01\xff\xfe junk", []string{"binary data"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := isolate(t)
			p := writeConfig(t, home, c.file)
			_, err := Load(Options{})
			require.ErrorIs(t, err, ErrInvalid)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), strings.ReplaceAll(w, "$FILE", p))
			}
		})
	}
}

func TestPrices(t *testing.T) {
	home := isolate(t)
	writeConfig(t, home, "[prices.\"claude-sonnet\"]\ninput = 3\noutput = 15.5\ncache_read = 0.3\ncache_write = 3.75\n")
	c, err := Load(Options{})
	require.NoError(t, err)
	assert.Equal(t, Price{Input: 3, Output: 15.5, CacheRead: 0.3, CacheWrite: 3.75}, c.Prices["claude-sonnet"])
	assert.Nil(t, c.Prices["claude-sonnet"].CacheWrite1h, "an absent 1-hour price is told apart from a zero one")

	writeConfig(t, home, "[prices.\"claude-sonnet\"]\ninput = 3\ncache_write_1h = 0\n[prices.haiku]\ncache_write_1h = 1.5\n")
	c, err = Load(Options{})
	require.NoError(t, err)
	zero, one5 := 0.0, 1.5
	assert.Equal(t, Price{Input: 3, CacheWrite1h: &zero}, c.Prices["claude-sonnet"])
	assert.Equal(t, Price{CacheWrite1h: &one5}, c.Prices["haiku"])

	writeConfig(t, home, "[prices.opus]\ninput = -1\nouptut = 2\ncache_write_1h = \"x\"\n")
	_, err = Load(Options{})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "prices.opus.input")
	assert.Contains(t, err.Error(), "prices.opus.ouptut: unknown field")
	assert.Contains(t, err.Error(), "prices.opus.cache_write_1h")
}

func TestHomeIsAFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "cco")
	require.NoError(t, os.WriteFile(f, []byte("x"), 0o600))
	err := EnsureHome(f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a file")
	b, _ := os.ReadFile(f)
	assert.Equal(t, "x", string(b), "nothing deleted")
}

func TestEnsureHomeMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "h")
	require.NoError(t, EnsureHome(dir))
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, privateDir, fi.Mode().Perm())
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, EnsureHome(dir))
	fi, _ = os.Stat(dir)
	assert.Equal(t, chmodded(0o755), fi.Mode().Perm(), "a directory that exists is never chmodded")
}

func TestBudgetAndTeamKeys(t *testing.T) {
	home := isolate(t)
	p := writeConfig(t, home, "[daemon]\nbudget_daily_usd = 5\nbudget_session_usd = \"$0.75\"\nteam_url = \"postgres://cco:hunter2@db.example:5432/team?sslmode=require\"\nmachine = \"laptop\"\n")
	c, err := Load(Options{})
	require.NoError(t, err)
	assert.Equal(t, 5.0, c.BudgetDailyUSD)
	assert.Equal(t, 0.75, c.BudgetSessionUSD)
	assert.False(t, c.BudgetIncludeSubscription)
	assert.Equal(t, "postgres://cco:hunter2@db.example:5432/team?sslmode=require", c.TeamURL, "the daemon gets the real URL")
	assert.NotContains(t, c.Value("team_url"), "hunter2", "config show never prints the password")
	assert.Equal(t, "laptop", c.Machine)
	assert.NotEmpty(t, c.User, "user defaults to the OS user")

	for _, bad := range []string{"budget_daily_usd = -1", `budget_session_usd = "lots"`, `team_url = "mysql://x/y"`, `machine = ""`} {
		writeConfig(t, home, "[daemon]\n"+bad+"\n")
		_, err := Load(Options{})
		require.ErrorIs(t, err, ErrInvalid, bad)
		assert.NotContains(t, err.Error(), "hunter2")
	}
	_ = p
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"CCO_PORT=4000", "CCO_HOME=/x", "CCO_PROT=4000", "CCO_TEST_LOG_FLOOD=3", "PATH=/bin",
		"CCO_ZZZZZZZZ=1", "CCO_MANAGER=detached", "CCO_EMPTY=", "CCO_HOEM=/x",
		"CCO_RELIABILITY=full", "CCO_WINE_EXE=cco.exe", "CCO_TEAM_TEST_URL=postgres://",
	})
	assert.Equal(t, []string{
		"CCO_HOEM is not a cco setting and is ignored; did you mean CCO_HOME?",
		"CCO_PROT is not a cco setting and is ignored; did you mean CCO_PORT?",
		"CCO_ZZZZZZZZ is not a cco setting and is ignored",
	}, got)
	// Windows reads names whatever their case; elsewhere cco_port is
	// another variable, and not cco's.
	mixed := UnknownEnv([]string{"CCO_port=1", "cco_prot=1"})
	if runtime.GOOS == "windows" {
		assert.Equal(t, []string{"cco_prot is not a cco setting and is ignored; did you mean CCO_PORT?"}, mixed)
	} else {
		assert.Equal(t, []string{"CCO_port is not a cco setting and is ignored; did you mean CCO_PORT?"}, mixed)
	}
}
