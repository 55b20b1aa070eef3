package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChangedAndRetain(t *testing.T) {
	home := t.TempDir()
	file := filepath.Join(home, "config.toml")
	require.NoError(t, os.WriteFile(file, []byte("[daemon]\nport = 3001\ncache_size = \"2MiB\"\n"), 0o600))
	old, err := Load(Options{Home: home})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, []byte("[daemon]\nport = 3002\ncache_size = \"3MiB\"\nlog_level = \"debug\"\n[prices.\"claude-x\"]\ninput = 1\n"), 0o600))
	next, err := Load(Options{Home: home})
	require.NoError(t, err)

	require.Equal(t, []string{"port", "log_level", "cache_size", "prices"}, old.Changed(next))
	require.Empty(t, next.Changed(next))

	kept := next.Retain(old, "port")
	require.Equal(t, 3001, kept.Port)
	require.Equal(t, "3001", kept.Value("port"))
	require.Equal(t, int64(3<<20), kept.CacheSize)
	require.Equal(t, 3002, next.Port, "Retain must not change its receiver")
	require.Equal(t, []string{"log_level", "cache_size", "prices"}, old.Changed(kept))
}
