package server

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// sameOrigin refuses requests a browser sends on behalf of another site:
// a foreign Origin, or Sec-Fetch-Site: cross-site. Binding to loopback does
// not stop a web page from POSTing to it; this does. Clients that are not
// browsers send neither header and pass.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			writeJSON(w, http.StatusForbidden, apiError("permission_error", "cco: cross-site requests are refused"))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			writeJSON(w, http.StatusForbidden, apiError("permission_error", "cco: requests from origin "+o+" are refused; only this daemon's own pages may call it"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed accepts this daemon's own origin: http, a host the Host
// check accepts, and the port the daemon listens on.
func (s *Server) originAllowed(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return false
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return port == strconv.Itoa(s.port()) && s.hostAllowed(u.Host)
}

// requireToken lets through only requests carrying the daemon token as
// "Authorization: Bearer TOKEN".
func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !tokenMatches(strings.TrimSpace(given), s.token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cco"`)
			msg := "cco: this endpoint needs 'Authorization: Bearer TOKEN' with the token in " + s.Config().TokenPath()
			if ok {
				msg = "cco: the token is wrong; use the one in " + s.Config().TokenPath()
			}
			writeJSON(w, http.StatusUnauthorized, apiError("authentication_error", msg))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tokenUnlessLoopback asks for the token only when the daemon listens
// beyond this machine; on loopback, the Host and Origin checks suffice
// for read-only routes.
func (s *Server) tokenUnlessLoopback(next http.Handler) http.Handler {
	guarded := s.requireToken(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLoopbackHost(s.Config().Host) {
			next.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

func isLoopbackHost(host string) bool {
	host = strings.Trim(strings.ToLower(host), "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// port is the port actually bound (it differs from the config for port 0).
func (s *Server) port() int {
	if s.ln != nil {
		if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
			return a.Port
		}
	}
	return s.Config().Port
}
