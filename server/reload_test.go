package server

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/config"
)

func TestReloadAppliesAndRefuses(t *testing.T) {
	up := newFakeUpstream(t)
	up2 := newFakeUpstream(t)
	var applied atomic.Pointer[config.Config]
	d := startDaemon(t, up.URL, "cache_size = \"1MiB\"\n", func(o *Options) {
		o.ApplyConfig = func(c *config.Config) { applied.Store(c) }
	})
	file := filepath.Join(d.home, "config.toml")
	write := func(s string) { require.NoError(t, os.WriteFile(file, []byte(s), 0o600)) }

	write("[daemon]\nupstream_url = \"" + up2.URL + "\"\nlog_level = \"warn\"\ncache_size = \"2MiB\"\ncache_ttl = 90\nport = 4999\nhealth_check_interval = 5\n[prices.\"claude-x\"]\ninput = 1\n")
	res, err := d.Reload()
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"upstream_url", "log_level", "cache_size", "cache_ttl", "health_check_interval", "prices"}, res.Applied)
	require.Equal(t, []string{"port"}, res.RestartRequired)
	require.Equal(t, "warn", applied.Load().LogLevel)
	st := d.cache.stats()
	require.EqualValues(t, 2<<20, st.MaxBytes)
	require.EqualValues(t, 90, st.TTLS)
	require.NotEqual(t, 4999, d.Config().Port, "the port in force stays until a restart")
	require.Equal(t, "3000", d.Config().Value("port"))
	require.Equal(t, 5*time.Second, d.Config().HealthCheckInterval)

	// upstream_url applies at once
	d.post(t, msgBody("claude-haiku-4-5", "after reload", false, ""))
	require.EqualValues(t, 1, up2.Hits.Load())
	require.Zero(t, up.Hits.Load())

	// an invalid file is refused whole; the old configuration stays
	write("[daemon]\nlog_level = \"chatty\"\ncache_size = \"5MiB\"\n")
	_, err = d.Reload()
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, "log_level")
	require.EqualValues(t, 2<<20, d.cache.stats().MaxBytes)
	require.Equal(t, "warn", d.Config().LogLevel)
	require.Contains(t, d.logs.String(), "configuration reload refused")
}
