package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/anthropics/cco/server/analytics"
)

// Who made a call, as the request says: figures to group usage by, never
// the credential itself.
type attribution struct {
	session    string // Claude Code's x-claude-code-session-id
	project    string // x-cco-project, set by 'cco claude'
	client     string // the User-Agent's product, e.g. claude-cli/2.1.332
	credential string // analytics.CredentialAPIKey, CredentialOAuth or ""
}

// Bounds on what a client can make the daemon store per call.
const (
	maxSessionID = 128
	maxProject   = 1024
	maxClient    = 64
)

// ccoHeaderPrefix marks cco's own request headers: read here, never
// forwarded upstream.
const ccoHeaderPrefix = "X-Cco-"

func attribute(h http.Header) attribution {
	return attribution{
		session:    bounded(h.Get("X-Claude-Code-Session-Id"), maxSessionID),
		project:    bounded(project(h.Get(ccoHeaderPrefix+"Project")), maxProject),
		client:     bounded(product(h.Get("User-Agent")), maxClient),
		credential: credentialKind(h),
	}
}

// project decodes x-cco-project: 'cco claude' percent-encodes a path that
// is not ASCII, which Claude Code could not send as it is.
func project(v string) string {
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// product is the User-Agent's first product: "claude-cli/2.1.332" of
// "claude-cli/2.1.332 (external, sdk-cli)", "Anthropic/Go 1.84.0" whole.
func product(ua string) string {
	ua = strings.TrimSpace(ua)
	if i := strings.Index(ua, " ("); i >= 0 {
		ua = ua[:i]
	}
	return ua
}

// credentialKind says how the call authenticated: an API key (x-api-key),
// or a subscription's OAuth token (Authorization: Bearer sk-ant-oat...).
func credentialKind(h http.Header) string {
	if h.Get("X-Api-Key") != "" {
		return analytics.CredentialAPIKey
	}
	if tok, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		if strings.HasPrefix(strings.TrimSpace(tok), "sk-ant-oat") {
			return analytics.CredentialOAuth
		}
		return analytics.CredentialAPIKey
	}
	return ""
}

// bounded keeps a client-chosen label printable and short, as cleanModel
// does for model names.
func bounded(s string, n int) string {
	s = cleanLabel(s, n)
	return strings.TrimSpace(s)
}
