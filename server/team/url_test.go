package team

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/cco/internal/testkit"
	"github.com/stretchr/testify/require"
)

func TestRedactNeverShowsThePassword(t *testing.T) {
	const pw = "s3cr:t/pw@x"
	esc := strings.NewReplacer(":", "%3A", "/", "%2F", "@", "%40").Replace(pw)
	for _, raw := range []string{
		"postgres://u:" + esc + "@db.example:5432/team?sslmode=require",
		"postgresql://u:" + esc + "@db.example/team",
		"postgres://u@db.example/team?password=" + esc + "&sslmode=disable",
		"postgres://u@db.example/team?PassWord=" + esc,
		"postgres://u:" + esc + "@db.example/team#" + esc,
		"postgres://u:" + esc + "@[::1]:5432/team",
		"postgres://u:" + esc + "@db.example:notaport/team",
		"host=db.example password=" + pw + " dbname=team",
		"postgres://u:" + pw + "@db.example/team", // unescaped: not a valid URL
		"%zz" + pw,
	} {
		got := Redact(raw)
		require.NotContains(t, got, pw, raw)
		require.NotContains(t, got, esc, raw)
		require.NotContains(t, got, "s3cr", raw)
	}
	require.Equal(t, "postgres://u:xxxxx@db.example:5432/team?sslmode=require", Redact("postgres://u:"+esc+"@db.example:5432/team?sslmode=require"))
	require.Equal(t, "postgres://u@db.example/team", Redact("postgres://u@db.example/team"), "nothing to hide")
	require.Equal(t, "", Redact(""))
}

func TestValidateURL(t *testing.T) {
	require.NoError(t, ValidateURL("postgres://u@db.example:5432/team?sslmode=verify-full"))
	require.NoError(t, ValidateURL("postgresql://u:pw@db.example/team"))
	require.NoError(t, ValidateURL("postgres://u@/team?host=/var/run/postgresql"))
	for raw, want := range map[string]string{
		"":                                   "team_url is empty",
		"mysql://u@db/team":                  `scheme "mysql" is not allowed, only postgres:// or postgresql://`,
		"postgres://u@/team":                 "names no host",
		"postgres://u@db.example":            "names no database",
		"postgres://u@db.example/a/b":        "is not a database name",
		"postgres://u@db.example:99999/team": `port "99999" is not a number from 1 to 65535`,
		"postgres://u@db.example/team?sslmode=yes":             `sslmode "yes" is not one of disable, allow, prefer, require, verify-ca, verify-full`,
		"postgres://u:pw@db.example/team?connect_timeout=soon": "the form is postgres://",
		"postgres://u:s3cret@db.example:x/team":                "not a URL",
	} {
		err := ValidateURL(raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "s3cret", raw)
		require.NotContains(t, err.Error(), ":pw@", raw)
	}
}

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
