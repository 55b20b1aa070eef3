package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Identity is GET /api/identity?nonce=N: the daemon proves that it knows
// CCO_HOME's control token, without either side sending it, by an HMAC of
// the caller's fresh nonce. A client sends the token (a control request)
// only to a daemon that proved this, and stop uses it on systems that
// cannot say which process holds the lock: a pid file naming another
// daemon, or another program on the daemon's port, cannot pass it.
type Identity struct {
	PID       int       `json:"pid"`
	Home      string    `json:"home"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	Proof     string    `json:"proof"`
}

// IdentityProof is the HMAC-SHA256, under token, of what the daemon
// claims about itself in answer to nonce.
func IdentityProof(token, nonce string, pid int, home string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("cco identity v1\n" + nonce + "\n" + strconv.Itoa(pid) + "\n" + home))
	return hex.EncodeToString(m.Sum(nil))
}

// nonceLen bounds the nonce: enough to be fresh, short enough to be cheap.
const minNonce, maxNonce = 32, 128

func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	nonce := r.URL.Query().Get("nonce")
	if _, err := hex.DecodeString(nonce); err != nil || len(nonce) < minNonce || len(nonce) > maxNonce {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_request_error", "cco: nonce must be 32 to 128 hex digits"))
		return
	}
	home := s.Config().Home
	writeJSON(w, http.StatusOK, Identity{
		PID: pid(), Home: home, Version: s.opts.Version, StartedAt: s.started.UTC(),
		Proof: IdentityProof(s.token, nonce, pid(), home),
	})
}
