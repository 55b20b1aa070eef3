package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/analytics"
)

// TestHangupAfterTheWholeAnswer: a client that reads exactly the
// answer's Content-Length and hangs up at once got the whole answer: the
// call is a success with its usage, never "interrupted" at $0.
func TestHangupAfterTheWholeAnswer(t *testing.T) {
	d, _ := startProxy(t, "")
	addr := strings.TrimPrefix(d.url, "http://")
	const n = 60
	for i := range n {
		body := msgBody("claude-haiku-4-5", fmt.Sprintf("hang up %d", i), false, "")
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		fmt.Fprintf(conn, "POST /v1/messages HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-Api-Key: %s\r\nAnthropic-Version: 2023-06-01\r\nContent-Length: %d\r\n\r\n%s", addr, testKey, len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		require.Positive(t, resp.ContentLength)
		_, err = io.ReadFull(resp.Body, make([]byte, resp.ContentLength))
		require.NoError(t, err)
		conn.Close() // at once, as a client that has what it asked for
	}
	d.waitRows(t, n)
	st, err := d.store.Stats(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Minute), analytics.Filter{})
	require.NoError(t, err)
	require.EqualValues(t, n, st.Totals.Requests)
	require.Zero(t, st.Totals.Interrupted, "a whole answer is not an interrupted one")
	require.Zero(t, st.Totals.Errors)
	require.EqualValues(t, n*fakeUsage.InputTokens, st.Totals.InputTokens)
}
