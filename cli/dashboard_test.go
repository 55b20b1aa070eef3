package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDaemon answers /health like cco (or like something else when ok is
// false) and points the configuration at it.
func fakeDaemon(t *testing.T, ok bool) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok && r.URL.Path == "/health" {
			_, _ = w.Write([]byte(`{"status":"ok","version":"test"}`))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	useConfig(t, port)
	return "http://127.0.0.1:" + port + "/"
}

// useConfig gives the test its own CCO_HOME and a daemon port.
func useConfig(t *testing.T, port string) {
	t.Setenv("CCO_HOME", t.TempDir())
	t.Setenv("CCO_HOST", "127.0.0.1")
	t.Setenv("CCO_PORT", port)
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func dashboard(t *testing.T, open opener, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	err := runDashboard(context.Background(), args, &out, &errb, open)
	return exitCode(err, "dashboard", &errb), out.String(), errb.String()
}

func TestDashboardOpensBrowser(t *testing.T) {
	url := fakeDaemon(t, true)
	var opened string
	code, out, _ := dashboard(t, func(_ context.Context, u string) error { opened = u; return nil })
	assert.Equal(t, exitOK, code)
	assert.Equal(t, url, opened)
	assert.Equal(t, "opened "+url+" in your browser\n", out)
}

func TestDashboardPrint(t *testing.T) {
	url := fakeDaemon(t, true)
	code, out, errOut := dashboard(t, func(context.Context, string) error { t.Fatal("--print must not open a browser"); return nil }, "--print")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, url+"\n", out)
	assert.Empty(t, errOut)
}

// Without a browser the URL goes to stdout, the reason to stderr, exit 0.
func TestDashboardNoBrowser(t *testing.T) {
	url := fakeDaemon(t, true)
	code, out, errOut := dashboard(t, systemOpener("linux", func(string) string { return "" }))
	assert.Equal(t, exitOK, code)
	assert.Equal(t, url+"\n", out)
	assert.Contains(t, errOut, "neither DISPLAY nor WAYLAND_DISPLAY is set")

	code, out, errOut = dashboard(t, func(context.Context, string) error { return errors.New("xdg-open failed: exit status 3") })
	assert.Equal(t, exitOK, code)
	assert.Equal(t, url+"\n", out)
	assert.Contains(t, errOut, "xdg-open failed")
}

func TestDashboardNotRunning(t *testing.T) {
	port := freePort(t)
	useConfig(t, port)
	code, out, errOut := dashboard(t, nil)
	assert.Equal(t, exitNotRunning, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "the cco daemon is not running at http://127.0.0.1:"+port+": nothing answers there")
	assert.Contains(t, errOut, "cco start")

	// Something that is not cco on the port is not the daemon either.
	fakeDaemon(t, false)
	code, _, errOut = dashboard(t, nil)
	assert.Equal(t, exitNotRunning, code)
	assert.Contains(t, errOut, "something else answers there (GET /health: the daemon answered 404 Not Found)")
}

func TestDashboardUsage(t *testing.T) {
	useConfig(t, freePort(t))
	code, _, errOut := dashboard(t, nil, "extra")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "dashboard takes no arguments")
	code, _, errOut = dashboard(t, nil, "--port", "0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--port")
}

func TestSystemOpenerLinuxNeedsDisplay(t *testing.T) {
	env := map[string]string{}
	open := systemOpener("linux", func(k string) string { return env[k] })
	assert.ErrorIs(t, open(context.Background(), "http://127.0.0.1:1/"), errNoBrowser)
	// With a display the opener runs xdg-open; a missing one is said so.
	env["WAYLAND_DISPLAY"] = "wayland-0"
	t.Setenv("PATH", t.TempDir())
	err := open(context.Background(), "http://127.0.0.1:1/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "xdg-open is not installed")
}

// The opener runs the platform's handler with the URL and reports its failure.
func TestSystemOpenerRunsHandler(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as xdg-open")
	}
	dir := t.TempDir()
	got := filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > " + got + "\nexit ${FAKE_EXIT:-0}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755))
	t.Setenv("PATH", dir)
	open := systemOpener("linux", func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] })
	require.NoError(t, open(context.Background(), "http://127.0.0.1:9/"))
	b, err := os.ReadFile(got)
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9/\n", string(b))

	t.Setenv("FAKE_EXIT", "4")
	err = open(context.Background(), "http://127.0.0.1:9/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "xdg-open failed: exit status 4")
}
