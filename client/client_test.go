package client

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
	"github.com/anthropics/cco/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var token = strings.Repeat("5e", 32)

func writeToken(t *testing.T, tok string) string {
	p := filepath.Join(t.TempDir(), "daemon.token")
	require.NoError(t, os.WriteFile(p, []byte(tok+"\n"), 0o600))
	return p
}

// fakeDaemon answers /api/identity as a daemon knowing token and living
// in home would, and records what reached it.
func fakeDaemon(t *testing.T, token, home string, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/identity" {
			n := r.URL.Query().Get("nonce")
			json.NewEncoder(w).Encode(server.Identity{PID: 42, Home: home, Proof: server.IdentityProof(token, n, 42, home)})
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestShutdownSendsTheTokenToAProvedDaemon(t *testing.T) {
	var gotAuth, gotMethod, gotPath string
	tokenPath := writeToken(t, token)
	home := filepath.Dir(tokenPath)
	srv := fakeDaemon(t, token, home, func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotMethod, gotPath = r.Header.Get("Authorization"), r.Method, r.URL.Path
		w.WriteHeader(http.StatusAccepted)
	})
	require.NoError(t, New(srv.URL, tokenPath).Shutdown(context.Background()))
	assert.Equal(t, "Bearer "+token, gotAuth, "the token is sent trimmed")
	assert.Equal(t, http.MethodPost, gotMethod)
	assert.Equal(t, "/api/shutdown", gotPath)

	err := New(srv.URL, filepath.Join(t.TempDir(), "none")).Shutdown(context.Background())
	assert.ErrorContains(t, err, "reading the control token")
}

// A program listening where the daemon used to (a stale pid file) cannot
// prove it knows the token, and never receives it.
func TestTheTokenNeverGoesToAnImpostor(t *testing.T) {
	tokenPath := writeToken(t, token)
	var sawToken bool
	impostor := fakeDaemon(t, strings.Repeat("0f", 32), filepath.Dir(tokenPath), func(w http.ResponseWriter, r *http.Request) {
		sawToken = sawToken || r.Header.Get("Authorization") != ""
		w.WriteHeader(http.StatusUnauthorized)
	})
	err := New(impostor.URL, tokenPath).Shutdown(context.Background())
	require.ErrorIs(t, err, ErrNotProved)
	_, err = New(impostor.URL, tokenPath).Stats(context.Background(), StatsQuery{})
	require.ErrorIs(t, err, ErrNotProved, "a view answered 401 is retried with the token only after a proof")
	assert.False(t, sawToken)

	// The right token, but another CCO_HOME's daemon.
	other := fakeDaemon(t, token, t.TempDir(), func(w http.ResponseWriter, r *http.Request) { sawToken = true })
	require.ErrorIs(t, New(other.URL, tokenPath).Shutdown(context.Background()), ErrNotProved)
	assert.False(t, sawToken)
}

func TestNotRunning(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, err = New("http://"+addr, "").Health(context.Background())
	assert.ErrorIs(t, err, ErrNotRunning)
}

// A daemon shutting down cuts the connection: that is ErrNoAnswer. One
// that holds it without answering is hung, and is not.
func TestCutAndHung(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	hold := make(chan struct{})
	defer close(hold)
	var cut atomic.Bool
	cut.Store(true)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if cut.Load() {
				c.Close()
				continue
			}
			go func() { <-hold; c.Close() }()
		}
	}()
	c := New("http://"+ln.Addr().String(), "")
	_, err = c.Health(t.Context())
	assert.ErrorIs(t, err, ErrNoAnswer)
	assert.NotErrorIs(t, err, ErrNotRunning)

	_, err = c.Health(t.Context()) // still cut: nothing is remembered
	require.ErrorIs(t, err, ErrNoAnswer)
	cut.Store(false)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Health(ctx)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNoAnswer, "a hung daemon is not one shutting down")
}

func TestHealthAndReady(t *testing.T) {
	ready := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			json.NewEncoder(w).Encode(server.Health{Status: "ok", PID: 42})
		case "/ready":
			if !ready {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			json.NewEncoder(w).Encode(server.Ready{Status: map[bool]string{true: "ready", false: "starting"}[ready]})
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "")
	h, err := c.Health(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 42, h.PID)
	ok, err := c.Ready(context.Background())
	require.NoError(t, err)
	assert.False(t, ok, "503 is not ready, and not an error")
	ready = true
	ok, err = c.Ready(context.Background())
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestForPidInfo(t *testing.T) {
	paths := config.PathsIn("/h")
	assert.Equal(t, "http://127.0.0.1:3000", For(platform.PidInfo{Host: "127.0.0.1", Port: 3000}, paths).URL())
	assert.Equal(t, "http://127.0.0.1:3001", For(platform.PidInfo{Host: "0.0.0.0", Port: 3001}, paths).URL())
	assert.Equal(t, "http://[::1]:3002", For(platform.PidInfo{Host: "::1", Port: 3002}, paths).URL())
}
