package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawRequest writes head to the daemon over a bare connection and reads
// the first response, as a hostile or broken client would see it.
func rawRequest(t *testing.T, d *testDaemon, head string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(d.url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte(head))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// TestDeclaredOversizeBodyIsRefusedAtOnce: a Content-Length past
// max_body_size gets its 413 before any of the body is sent, and no 100
// Continue asks the client to send it.
func TestDeclaredOversizeBodyIsRefusedAtOnce(t *testing.T) {
	d, up := startProxy(t, "max_body_size = \"1MiB\"\n")
	resp := rawRequest(t, d, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"+
		"Content-Length: 99999999999\r\nExpect: 100-continue\r\n\r\n")
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "not refused before the body: %s", resp.Status)
	assert.Zero(t, up.Hits.Load(), "the upstream was called")
}

// TestABodyThatNeverComesIsTimedOut: a client that declares a body and
// stops sending it gets a 408 once bodyReadTimeout passes, not a
// connection held for ever.
func TestABodyThatNeverComesIsTimedOut(t *testing.T) {
	old := bodyReadTimeout
	bodyReadTimeout = 200 * time.Millisecond
	t.Cleanup(func() { bodyReadTimeout = old })
	d, up := startProxy(t, "")
	resp := rawRequest(t, d, "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"+
		"Content-Length: 1000\r\n\r\n{\"model\":")
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Zero(t, up.Hits.Load(), "the upstream was called")
}
