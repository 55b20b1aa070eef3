package server

import (
	"net"
	"net/http"
	"strings"
)

// guard applies the rules every route shares: the Host header must name
// this daemon (a DNS-rebinding page would send its own name), and browser
// pages get headers that keep them from being framed or sniffed.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeJSON(w, http.StatusMisdirectedRequest, apiError("invalid_request_error",
				"host "+r.Host+" is not this daemon's address; use "+s.Config().URL()))
			return
		}
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "websocket upgrades are not served"))
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	bound := strings.ToLower(strings.Trim(s.Config().Host, "[]"))
	if host == bound {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	// Bound to every interface: any of this machine's addresses may be used,
	// but never a name, since names are what rebinding attacks control.
	if b := net.ParseIP(bound); b != nil && b.IsUnspecified() {
		return true
	}
	return false
}

// apiError is the Anthropic API's error body, so SDKs show it as they
// would any API error.
func apiError(typ, msg string) map[string]any {
	return map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}}
}
