package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func do(t *testing.T, method, url string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSecurity(t *testing.T) {
	up := newFakeUpstream(t)
	stopped := make(chan struct{}, 1)
	d := startDaemon(t, up.URL, "", func(o *Options) { o.OnShutdown = func() { stopped <- struct{}{} } })
	tok := d.token
	require.Len(t, tok, 64)

	// DNS rebinding: a foreign Host is refused everywhere.
	for _, p := range []string{"/health", "/api/status", "/v1/messages", "/metrics"} {
		code, _ := do(t, http.MethodGet, d.url+p, "Host", "evil.example")
		require.Equal(t, http.StatusMisdirectedRequest, code, p)
	}
	// Browser pages of other sites are refused.
	code, body := do(t, http.MethodGet, d.url+"/api/stats", "Origin", "http://evil.example")
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, body, "permission_error")
	code, _ = do(t, http.MethodGet, d.url+"/api/stats", "Origin", "http://localhost:1")
	require.Equal(t, http.StatusForbidden, code, "another port on localhost is another origin")
	code, _ = do(t, http.MethodPost, d.url+"/v1/messages", "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, code)
	code, _ = do(t, http.MethodGet, d.url+"/api/stats", "Origin", d.url)
	require.Equal(t, http.StatusOK, code, "the daemon's own pages may call it")
	code, _ = do(t, http.MethodGet, d.url+"/api/status")
	require.Equal(t, http.StatusOK, code)

	// Control endpoints need the token.
	code, body = do(t, http.MethodPost, d.url+"/api/shutdown")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, body, "authentication_error")
	code, _ = do(t, http.MethodPost, d.url+"/api/shutdown", "Authorization", "Bearer "+strings.Repeat("0", 64))
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = do(t, http.MethodPost, d.url+"/api/reload", "Authorization", "Bearer "+tok, "Origin", "http://evil.example")
	require.Equal(t, http.StatusForbidden, code)
	code, _ = do(t, http.MethodPost, d.url+"/api/shutdown", "Authorization", "Bearer "+tok)
	require.Equal(t, http.StatusAccepted, code)
	<-stopped

	// No permissive CORS anywhere.
	req, _ := http.NewRequest(http.MethodOptions, d.url+"/v1/messages", nil)
	req.Header.Set("Origin", d.url)
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	// Beyond loopback, read-only views need the token too.
	cfg := *d.Config()
	cfg.Host = "0.0.0.0"
	d.cfg.Store(&cfg)
	for _, p := range []string{"/api/status", "/api/stats", "/metrics"} {
		code, _ := do(t, http.MethodGet, d.url+p)
		require.Equal(t, http.StatusUnauthorized, code, p)
		code, _ = do(t, http.MethodGet, d.url+p, "Authorization", "Bearer "+tok)
		require.Equal(t, http.StatusOK, code, p)
	}
	code, _ = do(t, http.MethodGet, d.url+"/health")
	require.Equal(t, http.StatusOK, code, "probes stay open")
}

func TestTokenFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix modes on Windows")
	}
	d, _ := startProxy(t, "")
	fi, err := os.Stat(d.Config().TokenPath())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	path := filepath.Join(t.TempDir(), "daemon.token")
	tok, err := EnsureToken(path, d.log)
	require.NoError(t, err)
	again, err := EnsureToken(path, d.log)
	require.NoError(t, err)
	require.Equal(t, tok, again, "an existing token is kept")

	require.NoError(t, os.Chmod(path, 0o644))
	again, err = EnsureToken(path, d.log)
	require.NoError(t, err)
	require.NotEqual(t, tok, again, "a token others could read may have been read: it is replaced")
	fi, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the new token is private")
	require.Contains(t, d.logs.String(), "readable by others and may have been read; replaced it")
	tok = again

	require.NoError(t, os.WriteFile(path, []byte("not a token"), 0o600))
	again, err = EnsureToken(path, d.log)
	require.NoError(t, err)
	require.NotEqual(t, tok, again)
	require.True(t, validToken(again))

	// A link planted at the token's place is refused, and what it points
	// to is neither read as the token nor chmodded.
	planted := filepath.Join(t.TempDir(), "known-token")
	known := strings.Repeat("ab", 32)
	require.NoError(t, os.WriteFile(planted, []byte(known), 0o644))
	link := filepath.Join(t.TempDir(), "daemon.token")
	require.NoError(t, os.Symlink(planted, link))
	_, err = EnsureToken(link, d.log)
	require.ErrorContains(t, err, link+" is a symbolic link")
	_, err = ReadToken(link)
	require.ErrorContains(t, err, "is a symbolic link")
	fi, err = os.Stat(planted)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "the link's target is left alone")
}
