package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/cco/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetachedEnv(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/user/1/systemd/notify")
	t.Setenv("INVOCATION_ID", "abc")
	t.Setenv("CCO_MANAGER", "foreground")
	t.Setenv("CCO_PORT", "4000")
	env := detachedEnv("/home/u/.cco")
	joined := "\n" + strings.Join(env, "\n") + "\n"
	assert.NotContains(t, joined, "NOTIFY_SOCKET=", "a service's notify socket is not handed down")
	assert.NotContains(t, joined, "INVOCATION_ID=")
	assert.NotContains(t, joined, "CCO_MANAGER=foreground")
	assert.Contains(t, joined, "\nCCO_MANAGER=detached\n")
	assert.Contains(t, joined, "\nCCO_HOME=/home/u/.cco\n")
	assert.Contains(t, joined, "\nCCO_PORT=4000\n", "config from the environment still applies")
}

func TestDaemonArgsMakeConfigAbsolute(t *testing.T) {
	home := isolate(t)
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "my.toml"), []byte("[daemon]\n"), 0o600))
	f := addStartFlags(newFlags("start", nil))
	require.NoError(t, parseFlags(f.fs, []string{"--config", "my.toml", "--port", "4001", "--wait", "5s"}))
	o, err := f.options(nil)
	require.NoError(t, err)
	assert.Equal(t, home, o.cfg.Home)
	assert.ElementsMatch(t, []string{"--config=" + filepath.Join(dir, "my.toml"), "--port=4001"}, o.args, "--wait is start's own, not the daemon's")
}

func TestLogSince(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.log")
	require.NoError(t, os.WriteFile(p, []byte("old 1\nold 2\n"), 0o600))
	off := fileSize(p)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("new 1\nnew 2\nnew 3\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	assert.Equal(t, []string{"new 1", "new 2", "new 3"}, logSince(p, off, 10))
	assert.Equal(t, []string{"new 2", "new 3"}, logSince(p, off, 2))
	// Nothing new (or the log was rotated meanwhile): its last lines.
	assert.Equal(t, []string{"new 3"}, logSince(p, fileSize(p), 1))
	assert.Nil(t, logSince(filepath.Join(t.TempDir(), "none"), 0, 5))
}

func TestInfoURL(t *testing.T) {
	assert.Equal(t, "http://127.0.0.1:3000", infoURL(platform.PidInfo{Host: "127.0.0.1", Port: 3000}))
	assert.Equal(t, "http://127.0.0.1:3001", infoURL(platform.PidInfo{Host: "0.0.0.0", Port: 3001}))
	assert.Equal(t, "http://[::1]:3002", infoURL(platform.PidInfo{Host: "::1", Port: 3002}))
}
