package config

import (
	"os"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as config.toml: Load may refuse them, but
// must never panic, and an accepted file must yield a valid configuration.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"", "[daemon]\nport = 3000\n", "[daemon]\ncache_size = \"512MiB\"\ncache_ttl = \"2h\"\n",
		"[daemon\n", "port = 1", "[prices.x]\ninput = 1.5\n", "\x00\xff", "[daemon]\nport = 1e400\n",
		"[daemon]\nhost = []\n", "[[daemon]]\n", "daemon = 3\n",
	} {
		f.Add([]byte(seed))
	}
	home := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(DefaultFile(home), data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(Options{Home: home})
		if err != nil {
			return
		}
		if c.Port < 1 || c.Port > 65535 || c.CacheSize <= 0 || c.CacheTTL <= 0 || c.LogMaxFiles < 1 {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}
