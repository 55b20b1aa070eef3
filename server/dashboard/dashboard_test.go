package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, method, target string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	Page.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return string(b)
}

func TestPageHeaders(t *testing.T) {
	r := get(t, "GET", "/")
	require.Equal(t, 200, r.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
		assert.Contains(t, csp, want)
	}
	assert.NotContains(t, csp, "unsafe-inline")
	assert.NotContains(t, csp, "unsafe-eval")
	assert.Equal(t, "DENY", r.Header.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"))
	require.NotEmpty(t, r.Header.Get("ETag"))

	// A browser revalidating its copy gets 304 with no body.
	r2 := get(t, "GET", "/", "If-None-Match", r.Header.Get("ETag"))
	assert.Equal(t, http.StatusNotModified, r2.StatusCode)
	assert.Empty(t, body(t, r2))
}

// The page refers to every asset by a content hash, and an asset asked for
// by its current hash may be cached for good.
func TestAssetsAreVersioned(t *testing.T) {
	page := body(t, get(t, "GET", "/"))
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	require.Len(t, refs, 4, "icon twice, stylesheet, script")
	want := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	for _, m := range refs {
		r := get(t, "GET", m[1])
		require.Equal(t, 200, r.StatusCode, m[1])
		name := strings.SplitN(m[1], "?", 2)[0]
		assert.Equal(t, want[name[strings.LastIndex(name, "."):]], r.Header.Get("Content-Type"), m[1])
		assert.Equal(t, "public, max-age=31536000, immutable", r.Header.Get("Cache-Control"), m[1])
		assert.NotEmpty(t, r.Header.Get("Content-Security-Policy"))
		// An old or missing version must be revalidated, never pinned.
		stale := get(t, "GET", name+"?v=0000")
		assert.Equal(t, "no-cache", stale.Header.Get("Cache-Control"))
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	assert.Equal(t, 404, get(t, "GET", "/assets/nope.js").StatusCode)
	assert.Equal(t, 404, get(t, "GET", "/assets/index.html").StatusCode, "the page is served at / only")
	assert.Equal(t, 404, get(t, "GET", "/elsewhere").StatusCode)
	r := get(t, "POST", "/")
	assert.Equal(t, 405, r.StatusCode)
	assert.Equal(t, "GET, HEAD", r.Header.Get("Allow"))
	h := get(t, "HEAD", "/")
	assert.Equal(t, 200, h.StatusCode)
	assert.Empty(t, body(t, h))
}

// The CSP forbids inline code and the page must work offline: nothing in
// it may be inline or point at another host.
func TestNoInlineCodeOrThirdParties(t *testing.T) {
	page := body(t, get(t, "GET", "/"))
	assert.NotRegexp(t, `<script(\s[^>]*)?>\s*[^<\s]`, page, "inline script")
	assert.NotContains(t, page, "<style")
	assert.NotRegexp(t, `\sstyle=`, page)
	assert.NotRegexp(t, `\son[a-z]+=`, page, "inline event handler")
	for name, a := range Page.assets {
		for _, u := range regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s'"]*`).FindAllString(string(a.body), -1) {
			assert.Contains(t, u, "www.w3.org/2000/svg", "%s refers to another host: %s", name, u)
		}
	}
}
