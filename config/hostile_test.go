//go:build unix

package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentSetsKeepEveryKey: every `config set` of a distinct key run
// at once must land; without the edit lock each one reads the same old
// file and the last rename wins.
func TestConcurrentSetsKeepEveryKey(t *testing.T) {
	home := isolate(t)
	p := DefaultFile(home)
	values := map[string]string{}
	for _, k := range Keys {
		values[k.Name] = map[kind]string{kindInt: "7", kindString: "", kindSize: "2MiB", kindSeconds: "42", kindBool: "true", kindDollars: "1.5"}[k.kind]
	}
	values["host"], values["log_level"], values["log_format"] = "localhost", "debug", "json"
	values["team_url"], values["machine"], values["user"] = "postgres://cco@db.example/team", "laptop-7", "alice"
	values["auto_start"], values["health_checks"] = "false", "false"
	values["database_url"], values["upstream_url"] = "sqlite://other.db", "http://127.0.0.1:1"
	var wg sync.WaitGroup
	for name, v := range values {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Set(p, name, v)
			assert.NoError(t, err, name)
		}()
	}
	wg.Wait()
	c, err := Load(Options{})
	require.NoError(t, err)
	for name := range values {
		assert.Equal(t, SourceFile, c.Sources[name], "%s was lost", name)
	}
}

// TestHostileConfigFilesAreRefusedAtOnce: what is not a regular file of a
// sane size is refused without blocking or reading it through.
func TestHostileConfigFilesAreRefusedAtOnce(t *testing.T) {
	cases := map[string]struct {
		make func(t *testing.T, p string)
		want string
	}{
		"fifo":      {func(t *testing.T, p string) { require.NoError(t, syscall.Mkfifo(p, 0o600)) }, "is a named pipe (FIFO)"},
		"dev-zero":  {func(t *testing.T, p string) { require.NoError(t, os.Symlink("/dev/zero", p)) }, "is a device"},
		"directory": {func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o700)) }, "is a directory"},
		"huge": {func(t *testing.T, p string) {
			f, err := os.Create(p)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(1<<30))
			f.Close()
		}, "is 1 GiB; the limit is 4 MiB"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			home := isolate(t)
			require.NoError(t, os.MkdirAll(home, 0o700))
			p := DefaultFile(home)
			c.make(t, p)
			done := make(chan error, 1)
			go func() { _, err := Load(Options{}); done <- err }()
			select {
			case err := <-done:
				require.ErrorIs(t, err, ErrInvalid)
				assert.Contains(t, err.Error(), p+": "+c.want)
			case <-time.After(10 * time.Second):
				t.Fatal("Load blocked on a hostile config file")
			}
			_, err := Set(p, "port", "3001")
			require.ErrorIs(t, err, ErrInvalid, "set refuses it too")
		})
	}
}

func TestSetEditsThroughALinkAndKeepsIt(t *testing.T) {
	home := isolate(t)
	require.NoError(t, os.MkdirAll(home, 0o700))
	real := filepath.Join(t.TempDir(), "dotfiles-cco.toml")
	require.NoError(t, os.WriteFile(real, []byte("[daemon]\nport = 3001\n"), 0o600))
	p := DefaultFile(home)
	require.NoError(t, os.Symlink(real, p))
	set(t, p, "port", "3002")
	fi, err := os.Lstat(p)
	require.NoError(t, err)
	assert.True(t, fi.Mode()&os.ModeSymlink != 0, "the link is kept")
	b, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Equal(t, "[daemon]\nport = 3002\n", string(b))
}

func TestUnsetWithoutAFileCreatesNothing(t *testing.T) {
	home := isolate(t)
	assert.False(t, unset(t, DefaultFile(home), "port"))
	_, err := os.Stat(home)
	assert.ErrorIs(t, err, os.ErrNotExist, "unset must not create CCO_HOME or the file")
}

func TestEnsureHomeNeverChmods(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	require.NoError(t, os.Mkdir(shared, 0o777))
	require.NoError(t, os.Chmod(shared, os.ModeSticky|0o777))
	err := EnsureHome(shared)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "writable by group or others")
	fi, _ := os.Stat(shared)
	assert.Equal(t, os.ModeSticky|0o777, fi.Mode()&(os.ModeSticky|os.ModePerm), "the mode is left alone")

	readable := filepath.Join(dir, "readable")
	require.NoError(t, os.Mkdir(readable, 0o755))
	require.NoError(t, EnsureHome(readable), "readable by others is fine: the files inside are private")
	fi, _ = os.Stat(readable)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())

	fresh := filepath.Join(dir, "fresh", "cco")
	require.NoError(t, EnsureHome(fresh))
	fi, _ = os.Stat(fresh)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
}

func TestUnknownKeySuggestsTheNearest(t *testing.T) {
	home := isolate(t)
	_, err := Set(DefaultFile(home), "prot", "3001")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "prot: unknown key; did you mean port?")
	_, err = Set(DefaultFile(home), "zzzzzz", "1")
	assert.NotContains(t, err.Error(), "did you mean", fmt.Sprint("no suggestion for a word far from every key"))
}
