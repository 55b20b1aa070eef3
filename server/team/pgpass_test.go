package team

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/stretchr/testify/require"
)

// Without a password in team_url, ~/.pgpass (or PGPASSFILE) supplies it,
// as for psql; a wrong entry there fails as a wrong password would.
func TestPasswordFromPgpassOrEnvironment(t *testing.T) {
	pg := testkit.StartPostgres(t)
	noPw := strings.Replace(pg.URL(), ":"+pg.Password+"@", "@", 1)
	require.NotEqual(t, noPw, pg.URL())
	t.Setenv("PGPASSWORD", "")
	os.Unsetenv("PGPASSWORD")
	t.Setenv("PGPASSFILE", "")
	os.Unsetenv("PGPASSFILE")

	ships := func(t *testing.T) {
		store := openStore(t, "")
		addRows(t, store, 7, nil)
		sh := startShipper(t, Config{URL: noPw}, store, fast)
		waitFor(t, "the rows to ship: "+describeStatus(sh), func() bool { return sh.Pending() == 0 && sh.Status().Shipped == 7 })
	}
	entry := func(pw string) []byte { return []byte("127.0.0.1:*:cco:cco:" + pw + "\n") }

	t.Run("HOME/.pgpass", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		require.NoError(t, os.WriteFile(filepath.Join(home, ".pgpass"), entry(pg.Password), 0o600))
		ships(t)
	})
	t.Run("PGPASSFILE", func(t *testing.T) {
		t.Setenv("HOME", t.TempDir())
		f := filepath.Join(t.TempDir(), "pass")
		require.NoError(t, os.WriteFile(f, entry(pg.Password), 0o600))
		t.Setenv("PGPASSFILE", f)
		ships(t)
	})
	t.Run("PGPASSWORD", func(t *testing.T) {
		t.Setenv("HOME", t.TempDir())
		t.Setenv("PGPASSWORD", pg.Password)
		ships(t)
	})
	t.Run("wrong .pgpass entry", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		require.NoError(t, os.WriteFile(filepath.Join(home, ".pgpass"), entry("wrong"), 0o600))
		st := failure(t, noPw, "")
		require.Contains(t, st.LastError, `password authentication failed for user "cco"`)
	})
}
