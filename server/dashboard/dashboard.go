// Package dashboard serves the web page at "/": a single HTML page, its
// stylesheet, script and icon, embedded in the binary so the dashboard
// works offline and never asks a third party for anything.
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// CSP allows the page only its own origin: no inline script or style, no
// framing, no forms, no plugins. The page builds its SVG through the DOM
// and styles it from app.css, so nothing inline is needed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Prefix is where the assets are served; index.html refers to them as
// Prefix+name+"?v="+hash so a new build is never hidden by a cached copy.
const Prefix = "/assets/"

type asset struct {
	body  []byte
	ctype string
	etag  string
	hash  string
}

// Handler serves GET / (the page) and GET /assets/NAME.
type Handler struct {
	index  asset
	assets map[string]asset
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// New reads the embedded files once; it fails only if the build embedded
// something it cannot serve, which a test catches.
func New() (*Handler, error) {
	h := &Handler{assets: map[string]asset{}}
	files, err := fs.ReadDir(static, "static")
	if err != nil {
		return nil, fmt.Errorf("reading the embedded dashboard: %w", err)
	}
	var page []byte
	for _, f := range files {
		b, err := static.ReadFile("static/" + f.Name())
		if err != nil {
			return nil, fmt.Errorf("reading the embedded dashboard: %w", err)
		}
		if f.Name() == "index.html" {
			page = b
			continue
		}
		ct, ok := contentTypes[path.Ext(f.Name())]
		if !ok {
			return nil, fmt.Errorf("embedded dashboard file %s has no known content type", f.Name())
		}
		h.assets[f.Name()] = newAsset(b, ct)
	}
	if page == nil {
		return nil, fmt.Errorf("the embedded dashboard has no index.html")
	}
	// Point the page at content-addressed asset URLs.
	for name, a := range h.assets {
		page = bytes.ReplaceAll(page, []byte("{{"+name+"}}"), []byte(Prefix+name+"?v="+a.hash))
	}
	if i := bytes.Index(page, []byte("{{")); i >= 0 {
		return nil, fmt.Errorf("index.html refers to an asset that is not embedded: %.40s", page[i:])
	}
	h.index = newAsset(page, contentTypes[".html"])
	return h, nil
}

func newAsset(b []byte, ctype string) asset {
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:8])
	return asset{body: b, ctype: ctype, hash: hash, etag: `"` + hash + `"`}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", CSP)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the dashboard only answers GET", http.StatusMethodNotAllowed)
		return
	}
	var a asset
	switch {
	case r.URL.Path == "/":
		a = h.index
		hdr.Set("Cache-Control", "no-cache") // revalidate: the page names the current assets
	case strings.HasPrefix(r.URL.Path, Prefix):
		var ok bool
		a, ok = h.assets[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == a.hash {
			hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			hdr.Set("Cache-Control", "no-cache")
		}
	default:
		http.NotFound(w, r)
		return
	}
	hdr.Set("Content-Type", a.ctype)
	hdr.Set("ETag", a.etag)
	// ServeContent answers If-None-Match with 304 and handles HEAD and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// Page is the dashboard handler built from the embedded files. Those are
// fixed at build time, so a failure here is a build defect that every test
// importing the package reports at once.
var Page = mustNew()

func mustNew() *Handler {
	h, err := New()
	if err != nil {
		panic(err)
	}
	return h
}
