package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/anthropics/cco/platform"
)

// maxTokenFile bounds what is read of daemon.token (cco writes 65 bytes).
const maxTokenFile = 4 << 10

// EnsureToken returns the control token kept at path, creating it (32
// random bytes, hex, mode 0600) when missing. A token others could read may
// have been read, so it is replaced by a new one rather than made private
// again; one that is not a token is replaced too. Both are logged, because
// either means something touched the file. A symbolic link is refused: a
// planted link would make cco accept a token its planter knows.
func EnsureToken(path string, log *slog.Logger) (string, error) {
	data, err := platform.ReadRegular(path, maxTokenFile, platform.NoFollow)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return newToken(path)
	case err != nil:
		return "", fmt.Errorf("reading the control token: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if !validToken(tok) {
		log.Warn("the control token file does not hold a token; writing a new one", "path", path)
		return newToken(path)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Lstat(path)
		if err != nil {
			return "", fmt.Errorf("checking the control token %s: %w", path, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the control token was readable by others and may have been read; replaced it with a new one (0600)", "path", path, "mode", fi.Mode().Perm().String())
			return newToken(path)
		}
	}
	return tok, nil
}

// ReadToken reads the token for a client (cco reload); it never creates one.
func ReadToken(path string) (string, error) {
	data, err := platform.ReadRegular(path, maxTokenFile, platform.NoFollow)
	if err != nil {
		return "", fmt.Errorf("reading the control token: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if !validToken(tok) {
		return "", fmt.Errorf("the control token %s is not a token; restart the daemon to write a new one", path)
	}
	return tok, nil
}

func newToken(path string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a control token: %w", err)
	}
	tok := hex.EncodeToString(b)
	if err := platform.WriteFileAtomic(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("creating the control token: %w", err)
	}
	return tok, nil
}

func validToken(tok string) bool {
	if len(tok) != 64 {
		return false
	}
	_, err := hex.DecodeString(tok)
	return err == nil
}

// tokenMatches compares in constant time, so the answer's timing says
// nothing about how much of a guess was right.
func tokenMatches(given, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
}
