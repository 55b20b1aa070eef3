//go:build linux

package test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReliabilitySecurity plays a hostile web page and a local snoop: DNS
// rebinding Host headers, foreign Origins on control and API routes,
// missing and wrong tokens, WebSocket upgrades, and files others can read.
// Every attempt must be refused (or the file made private), and a request
// with the right token must still work, so the refusals prove something.
func TestReliabilitySecurity(t *testing.T) {
	e, _ := newFaultyEnv(t)
	d := e.startDaemon()
	tok := e.token()
	bearer := "Authorization: Bearer " + tok
	port := fmt.Sprint(e.port)

	counts := map[string]int{}
	attempts := 0
	try := func(kind string, want int, method, path string, headers ...string) {
		t.Helper()
		attempts++
		code, body := send(t, method, e.base+path, headers...)
		if code == want {
			counts[kind]++
		} else {
			t.Errorf("%s %s %v: %d %s; want %d", method, path, headers, code, body, want)
		}
	}

	// DNS rebinding: a page on attacker.example resolves its name to
	// 127.0.0.1; its requests carry its own name in Host.
	routes := []struct{ method, path string }{
		{"GET", "/health"}, {"GET", "/api/status"}, {"GET", "/api/stats"}, {"GET", "/metrics"},
		{"POST", "/v1/messages"}, {"POST", "/api/reload"}, {"POST", "/api/shutdown"}, {"GET", "/"},
	}
	for _, host := range []string{"attacker.example", "attacker.example:" + port, "127.0.0.1.nip.io:" + port, "localhost.attacker.example", "127.0.0.2.attacker.example:" + port} {
		for _, r := range routes {
			try("host", http.StatusMisdirectedRequest, r.method, r.path, "Host: "+host, bearer)
		}
	}
	// A foreign Origin, or a browser saying the request is cross-site, on
	// control, API and proxy routes, even with the right token.
	for _, origin := range []string{"https://attacker.example", "http://attacker.example:" + port, "null", "http://127.0.0.1:1", "http://localhost.attacker.example:" + port} {
		for _, r := range routes[1:7] {
			try("origin", http.StatusForbidden, r.method, r.path, "Origin: "+origin, bearer)
		}
	}
	for _, r := range routes[1:7] {
		try("origin", http.StatusForbidden, r.method, r.path, "Sec-Fetch-Site: cross-site", bearer)
	}
	// Missing and wrong tokens on the control endpoints.
	wrong := strings.Repeat("0", len(tok))
	for _, path := range []string{"/api/reload", "/api/shutdown"} {
		for _, auth := range []string{"", "Authorization: Bearer", "Authorization: Bearer " + wrong, "Authorization: Bearer " + tok[:len(tok)-1],
			"Authorization: Bearer " + tok + "0", "Authorization: Basic " + tok, "Authorization: " + tok, "X-Token: " + tok} {
			try("token", http.StatusUnauthorized, "POST", path, auth)
		}
	}
	// WebSocket upgrades: none are served, so none are accepted.
	for _, path := range []string{"/", "/api/status", "/v1/messages"} {
		try("websocket", http.StatusBadRequest, "GET", path, "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")
	}
	refused := counts["host"] + counts["origin"] + counts["token"] + counts["websocket"]

	// The daemon is still there (no shutdown got through), and the right
	// token is accepted: the refusals were the checks, not a broken route.
	if d.Exited() {
		t.Fatalf("the daemon exited during the attack:\n%s", d.output())
	}
	if code, body := send(t, "POST", e.base+"/api/reload", bearer); code != 200 {
		t.Errorf("POST /api/reload with the right token: %d %s", code, body)
	}

	ct := constantTimeCompare(t)

	// Files others can read: the token may have been read, so it is
	// replaced; the database is made private; CCO_HOME, which cco did not
	// make so, keeps its mode (the files in it are private).
	d.stop()
	private := map[string]os.FileMode{
		filepath.Join(e.ccoHome, "daemon.token"): 0o644,
		filepath.Join(e.ccoHome, "analytics.db"): 0o644,
	}
	for path, mode := range private {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(e.ccoHome, 0o755); err != nil {
		t.Fatal(err)
	}
	d = e.startDaemon()
	fixed := 0
	for path, was := range private {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 == 0 {
			fixed++
		} else {
			t.Errorf("%s was %v and is still %v after a start; want it private", path, was, fi.Mode().Perm())
		}
	}
	if e.token() == tok {
		t.Errorf("the token others could read was kept; it may have been read and must be replaced")
	}
	if fi, _ := os.Stat(e.ccoHome); fi.Mode().Perm() != 0o755 {
		t.Errorf("CCO_HOME was chmodded to %v; cco must leave the mode of a directory it finds alone", fi.Mode().Perm())
	}
	d.stop()

	report(t, "security", "%d of %d hostile requests refused (%d rebinding Host 421, %d foreign Origin or cross-site 403, %d missing or wrong token 401, %d WebSocket upgrades 400), right token accepted, token compared with crypto/subtle: %t, %d of %d readable files made private (the token replaced), CCO_HOME 0755 left as it was",
		refused, attempts, counts["host"], counts["origin"], counts["token"], counts["websocket"], ct, fixed, len(private))
}

// send makes one request with "Name: value" headers (Host sets the Host).
func send(t *testing.T, method, url string, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if method == "POST" {
		req.Body = io.NopCloser(strings.NewReader(messageBody("rel-sec", false)))
		req.ContentLength = int64(len(messageBody("rel-sec", false)))
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		value = strings.TrimSpace(value)
		switch {
		case name == "":
		case strings.EqualFold(name, "host"):
			req.Host = value
		default:
			req.Header.Set(name, value)
		}
	}
	resp, err := relClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// constantTimeCompare checks the server's source: the token is compared
// with crypto/subtle.ConstantTimeCompare, and never with ==, !=,
// bytes.Equal, strings.EqualFold or strings.Compare, whose time depends on
// how much of a guess was right. A timing test would be flaky; reading the
// code is exact.
func constantTimeCompare(t *testing.T) bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "server", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no server sources: %v", err)
	}
	subtleCalls := 0
	ok := true
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := os.ReadFile(path)
		text := func(n ast.Node) string {
			return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
		}
		secret := func(n ast.Expr) bool {
			s := strings.ToLower(text(n))
			return strings.Contains(s, "token") && !strings.Contains(s, "path") && !strings.HasPrefix(s, `"`)
		}
		// Inside a function about the token (tokenMatches, requireToken,
		// ...), any comparison of two non-constants is suspect.
		tokenFunc := false
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncDecl:
				tokenFunc = strings.Contains(strings.ToLower(x.Name.Name), "token")
			case *ast.CallExpr:
				fn := text(x.Fun)
				switch fn {
				case "subtle.ConstantTimeCompare":
					subtleCalls++
				case "bytes.Equal", "strings.EqualFold", "strings.Compare", "reflect.DeepEqual":
					for _, a := range x.Args {
						if secret(a) {
							ok = false
							t.Errorf("%s: the token is compared with %s (not constant time): %s", fset.Position(x.Pos()), fn, text(x))
						}
					}
				}
			case *ast.BinaryExpr:
				if x.Op != token.EQL && x.Op != token.NEQ {
					return true
				}
				lit := func(e ast.Expr) bool {
					_, isLit := e.(*ast.BasicLit)
					id, isID := e.(*ast.Ident)
					return isLit || isID && id.Name == "nil"
				}
				if (secret(x.X) && !lit(x.Y)) || (secret(x.Y) && !lit(x.X)) || (tokenFunc && !lit(x.X) && !lit(x.Y)) {
					ok = false
					t.Errorf("%s: the token is compared with %s (not constant time): %s", fset.Position(x.Pos()), x.Op, text(x))
				}
			}
			return true
		})
	}
	if subtleCalls == 0 {
		ok = false
		t.Errorf("the server never calls subtle.ConstantTimeCompare: the token compare is not constant time")
	}
	return ok
}
