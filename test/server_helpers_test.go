package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

// testAPIKey must never appear in the daemon's files.
const testAPIKey = "sk-ant-e2e-SECRET-fedcba9876543210"

// newUpstream is the kit's fake with the figures the end-to-end checks
// name: JSON answers 100 input, 20 output and 5 cache-read tokens;
// streams 200 input, 30 output and 7 cache-write tokens.
func newUpstream(t *testing.T) *testkit.Upstream {
	return testkit.NewUpstream(t, testkit.UpstreamOptions{
		Usage:       testkit.Usage{Input: 100, Output: 20, CacheRead: 5},
		StreamUsage: testkit.Usage{Input: 200, Output: 30, CacheWrite: 7},
	})
}

// daemon is a cco daemon run by a test, killed by PID at cleanup if it
// still runs.
type daemon struct {
	*testkit.Child
	url    string
	home   string // CCO_HOME
	env    []string
	output *testkit.Buffer
}

// ccoEnv is a private environment: own HOME and CCO_HOME, nothing from
// the person running the tests that steers cco (see cleanEnv).
func ccoEnv(t *testing.T, extra ...string) (env []string, home string) {
	root := t.TempDir()
	home = filepath.Join(root, ".cco")
	env = append(cleanEnv(), "HOME="+root, "CCO_HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(root, ".config"))
	return append(env, extra...), home
}

// cleanEnv is the test's environment without anything that would steer
// cco (CCO_*) or make it think it runs under a service manager.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "CCO_"), name == "NOTIFY_SOCKET", name == "INVOCATION_ID",
			name == "HOME", name == "XDG_CONFIG_HOME", name == "LISTEN_PID", name == "LISTEN_FDS":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// runCco runs cco with env to the end, bounded by twice the wait limit, and
// returns its output and exit code; a failure to run it at all fails the
// test.
func runCco(t testing.TB, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCcoAt(t, ccoPath(), env, args...)
}

// runCcoAt is runCco for the cco binary at exe.
func runCcoAt(t testing.TB, exe string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running cco %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// startDaemon runs 'cco daemon run' on a free port and waits for /ready.
func startDaemon(t *testing.T, config string, extraEnv ...string) *daemon {
	t.Helper()
	port, err := testkit.FreePort()
	require.NoError(t, err)
	env, home := ccoEnv(t, extraEnv...)
	require.NoError(t, os.MkdirAll(home, 0o700))
	if config != "" {
		require.NoError(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte(config), 0o600))
	}
	d := &daemon{url: fmt.Sprintf("http://127.0.0.1:%d", port), home: home, env: env, output: &testkit.Buffer{}}
	// The port comes from the environment, so that the cco verbs the test
	// runs with the same environment find this daemon.
	d.env = append(d.env, fmt.Sprintf("CCO_PORT=%d", port))
	cmd := exec.Command(ccoPath(), "daemon", "run")
	cmd.Env = d.env
	cmd.Stdout, cmd.Stderr = d.output, d.output
	d.Child, err = testkit.StartChild(cmd)
	require.NoError(t, err)
	t.Cleanup(d.Kill)
	require.NoError(t, waitFor(d.url+"/ready", func() (bool, error) {
		if d.Exited() {
			return false, fmt.Errorf("the daemon exited: %v\n%s", d.Err(), d.output)
		}
		code, _, err := httpStatus(d.url + "/ready")
		return code == 200, err
	}))
	return d
}

// wait waits for the daemon to exit and returns its exit code.
func (d *daemon) wait(t *testing.T) int {
	t.Helper()
	code, err := d.Wait(waitLimit)
	require.NoError(t, err)
	return code
}

// cco runs the binary with the daemon's environment.
func (d *daemon) cco(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCco(t, d.env, args...)
}

// post sends a Messages request through the daemon.
func (d *daemon) post(t *testing.T, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.url+"/v1/messages", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Api-Key", testAPIKey)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: waitLimit}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// status reads /api/status into a map.
func (d *daemon) status(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	getJSON(t, d.url+"/api/status", &m)
	return m
}

// waitWritten waits until the daemon has written n usage rows.
func (d *daemon) waitWritten(t *testing.T, n float64) {
	t.Helper()
	require.NoError(t, waitFor("usage rows", func() (bool, error) {
		a := d.status(t)["analytics"].(map[string]any)
		return a["written"].(float64) >= n, nil
	}))
}

func (d *daemon) token(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(d.home, "daemon.token"))
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func request(t *testing.T, method, url string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, b, _ := roundTrip(t, req, hdr...)
	return resp.StatusCode, string(b)
}

// roundTrip sends req with hdr ("name", "value" pairs) set and returns the
// answer with its body read whole, and the error reading it.
func roundTrip(t *testing.T, req *http.Request, hdr ...string) (*http.Response, []byte, error) {
	t.Helper()
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func body(model string, stream bool, text string) string {
	return fmt.Sprintf(`{"model":%q,"max_tokens":50,"stream":%t,"messages":[{"role":"user","content":%q}]}`, model, stream, text)
}
