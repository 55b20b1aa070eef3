package test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStopCutsAStalledStreamCleanly: a stream that never ends does not
// turn 'cco stop' into a kill. The daemon's drain runs out well inside
// stop's default timeout, cuts the call, records the usage the API had
// reported and exits 0.
func TestStopCutsAStalledStreamCleanly(t *testing.T) {
	skipOnWindows(t)
	up := newUpstream(t)
	d := startDaemon(t, "", "CCO_UPSTREAM_URL="+up.URL)
	go func() {
		// The answer is cut, so what the client reads is not the point.
		req := `{"model":"claude-haiku-4-5","max_tokens":50,"stream":true,"metadata":{"user_id":"stall"},"messages":[{"role":"user","content":"never ends"}]}`
		resp, err := http.Post(d.url+"/v1/messages", "application/json", strings.NewReader(req))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	<-up.Stalled

	out, errOut, code := d.cco(t, "stop")
	require.Equal(t, 0, code, "%s%s", out, errOut)
	assert.Contains(t, out, "exited cleanly", "the stop needed a kill: %s", out)
	assert.Equal(t, 0, d.wait(t), d.output.String())
	log, err := os.ReadFile(filepath.Join(d.home, "daemon.log"))
	require.NoError(t, err)
	assert.Contains(t, string(log), "closing them")
	assert.NotContains(t, string(log), "could not run")

	stats, _, code := d.cco(t, "stats", "--json")
	require.Equal(t, 0, code)
	assert.Contains(t, stats, `"requests": 1,`)
	assert.Contains(t, stats, `"interrupted": 1,`, "the cut call was not recorded")
}
