package config

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// set and unset must succeed, reporting whether the file changed.
func set(t *testing.T, file, key, value string) bool {
	t.Helper()
	changed, err := Set(file, key, value)
	require.NoError(t, err, "set %s %s", key, value)
	return changed
}

func unset(t *testing.T, file, key string) bool {
	t.Helper()
	changed, err := Unset(file, key)
	require.NoError(t, err, "unset %s", key)
	return changed
}

func TestSetGetUnsetRoundTrip(t *testing.T) {
	home := isolate(t)
	p := DefaultFile(home)

	set(t, p, "port", "4100")
	set(t, p, "cache-size", "512MiB")
	set(t, p, "cache_ttl", "90")
	set(t, p, "host", "localhost")
	set(t, p, "auto_start", "off")
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, privateFile, fi.Mode().Perm())

	c, err := Load(Options{})
	require.NoError(t, err)
	assert.Equal(t, 4100, c.Port)
	assert.Equal(t, "512MiB", c.Value("cache_size"))
	assert.Equal(t, "90", c.Value("cache_ttl"))
	assert.Equal(t, "localhost", c.Host)
	assert.False(t, c.AutoStart)
	assert.Equal(t, SourceFile, c.Sources["port"])

	set(t, p, "port", "4200") // replaces, never duplicates
	unset(t, p, "host")
	c, err = Load(Options{})
	require.NoError(t, err)
	assert.Equal(t, 4200, c.Port)
	assert.Equal(t, "127.0.0.1", c.Host)
	assert.Equal(t, SourceDefault, c.Sources["host"])
	assert.False(t, unset(t, p, "host"), "unsetting an absent key is fine, and changes nothing")
	assert.False(t, set(t, p, "port", "4200"), "setting the value already there changes nothing")
}

func TestSetKeepsCommentsAndOtherTables(t *testing.T) {
	home := isolate(t)
	p := writeConfig(t, home, "# my settings\n[daemon]\n# the port\nport = 3001 # inline\n\n[prices.opus]\ninput = 15\n")
	set(t, p, "log_level", "debug")
	set(t, p, "port", "3002")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "# my settings\n[daemon]\n# the port\nport = 3002\nlog_level = \"debug\"\n\n[prices.opus]\ninput = 15\n", string(b))
}

func TestSetBadValueLeavesFileUnchanged(t *testing.T) {
	home := isolate(t)
	orig := "[daemon]\nport = 3001\n"
	p := writeConfig(t, home, orig)
	for _, kv := range [][2]string{{"port", "0"}, {"port", "x"}, {"log_level", "loud"}, {"cache_size", "0"}, {"nosuch", "1"}, {"upstream_url", "gopher://x"}} {
		_, err := Set(p, kv[0], kv[1])
		require.Error(t, err, kv)
		assert.ErrorIs(t, err, ErrInvalid)
		b, _ := os.ReadFile(p)
		assert.Equal(t, orig, string(b), kv)
	}
	entries, _ := os.ReadDir(home)
	assert.Len(t, entries, 1, "no temp files left behind")
}

func TestSetRefusesToWriteAnInvalidFile(t *testing.T) {
	home := isolate(t)
	orig := "[daemon]\nprot = 1\n"
	p := writeConfig(t, home, orig)
	_, err := Set(p, "port", "3001")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "daemon.prot: unknown key")
	b, _ := os.ReadFile(p)
	assert.Equal(t, orig, string(b))
}

func TestSetCreatesFileAndHome(t *testing.T) {
	home := isolate(t)
	p := DefaultFile(home)
	set(t, p, "port", "3005")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "[daemon]\nport = 3005\n", string(b))
}

// TestAByteOrderMarkIsPassedOver: Notepad begins files with a BOM, which
// TOML does not allow; cco reads past it and set keeps it.
func TestAByteOrderMarkIsPassedOver(t *testing.T) {
	home := isolate(t)
	p := writeConfig(t, home, "\ufeff[daemon]\nport = 3001\n")
	c, err := Load(Options{Home: home})
	require.NoError(t, err)
	assert.Equal(t, 3001, c.Port)
	set(t, p, "log_level", "debug")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "\ufeff[daemon]\nport = 3001\nlog_level = \"debug\"\n", string(b))
}
