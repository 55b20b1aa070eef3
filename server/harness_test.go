package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/testkit"
)

// testKey is the API key clients send; it must never reach the database
// or the log.
const testKey = "sk-ant-test-SECRET-0123456789abcdef"

type testDaemon struct {
	*Server
	url  string
	home string
	logs *testkit.Buffer
}

// startDaemon runs a Server on a free loopback port against upstream, with
// extra config.toml lines in toml.
func startDaemon(t testing.TB, upstream string, toml string, edit ...func(*Options)) *testDaemon {
	t.Helper()
	home := t.TempDir()
	file := filepath.Join(home, "config.toml")
	content := fmt.Sprintf("[daemon]\nupstream_url = %q\nlog_level = \"debug\"\n%s", upstream, toml)
	require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
	load := func() (*config.Config, error) {
		c, err := config.Load(config.Options{Home: home})
		if c != nil {
			c.Port = 0 // the kernel picks a free port
		}
		return c, err
	}
	cfg, err := load()
	require.NoError(t, err)
	logs := &testkit.Buffer{}
	o := Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Version: "test", Manager: "foreground", LoadConfig: load}
	for _, e := range edit {
		e(&o)
	}
	s := New(o)
	require.NoError(t, s.Listen())
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	return &testDaemon{Server: s, url: "http://" + s.Addr().String(), home: home, logs: logs}
}

// startProxy is startDaemon in front of a new fake upstream.
func startProxy(t testing.TB, toml string, edit ...func(*Options)) (*testDaemon, *testkit.Upstream) {
	t.Helper()
	up := newFakeUpstream(t)
	return startDaemon(t, up.URL, toml, edit...), up
}

// post sends a Messages request through the daemon.
func (d *testDaemon) post(t *testing.T, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.url+"/v1/messages", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", testKey)
	req.Header.Set("Anthropic-Version", "2023-06-01")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// flushRows waits until the writer has written n rows in all.
func (d *testDaemon) waitRows(t *testing.T, n int64) {
	t.Helper()
	require.Eventually(t, func() bool { return d.writer.Stats().Written >= n }, 10*time.Second, 10*time.Millisecond,
		"usage rows written: %d, want %d", d.writer.Stats().Written, n)
}

func msgBody(model, text string, stream bool, user string) string {
	return fmt.Sprintf(`{"model":%q,"max_tokens":100,"stream":%t,"metadata":{"user_id":%q},"messages":[{"role":"user","content":%q}]}`, model, stream, user, text)
}
