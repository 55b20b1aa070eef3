package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestShutdown(t *testing.T) {
	var gotAuth, gotMethod, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotMethod, gotPath = r.Header.Get("Authorization"), r.Method, r.URL.Path
		if gotAuth != "Bearer "+strings.Repeat("5e", 32) {
			http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	token := filepath.Join(t.TempDir(), "daemon.token")
	require.NoError(t, os.WriteFile(token, []byte(strings.Repeat("5e", 32)+"\n"), 0o600))

	require.NoError(t, requestShutdown(context.Background(), srv.URL, token))
	assert.Equal(t, "Bearer "+strings.Repeat("5e", 32), gotAuth, "the token is sent trimmed")
	assert.Equal(t, http.MethodPost, gotMethod)
	assert.Equal(t, "/api/shutdown", gotPath)

	require.NoError(t, os.WriteFile(token, []byte(strings.Repeat("0f", 32)), 0o600))
	err := requestShutdown(context.Background(), srv.URL, token)
	assert.ErrorContains(t, err, "401 Unauthorized")
	assert.ErrorContains(t, err, "bad token")

	err = requestShutdown(context.Background(), srv.URL, filepath.Join(t.TempDir(), "none"))
	assert.ErrorContains(t, err, "reading the control token")
}
