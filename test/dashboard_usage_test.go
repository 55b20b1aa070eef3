//go:build linux

package test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// planUpstream answers every Messages call as the API answers a
// subscription: usage, and the plan's unified rate-limit headers.
func planUpstream(t *testing.T) *httptest.Server {
	reset5h := time.Now().Add(3 * time.Hour).Unix()
	reset7d := time.Now().Add(4 * 24 * time.Hour).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range map[string]string{
			"anthropic-ratelimit-unified-status": "allowed", "anthropic-ratelimit-unified-representative-claim": "five_hour",
			"anthropic-ratelimit-unified-5h-utilization": "0.93", "anthropic-ratelimit-unified-5h-reset": fmt.Sprint(reset5h),
			"anthropic-ratelimit-unified-5h-status":      "allowed_warning",
			"anthropic-ratelimit-unified-7d-utilization": "0.41", "anthropic-ratelimit-unified-7d-reset": fmt.Sprint(reset7d),
		} {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1200,"output_tokens":42,"cache_read_input_tokens":5000,"cache_creation_input_tokens":3000}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestDashboardSessionsProjectsPlan: the Claude Code sessions, projects and
// subscription plan the daemon recorded are on the page as the API says.
func TestDashboardSessionsProjectsPlan(t *testing.T) {
	up := planUpstream(t)
	e := newRelEnv(t, up.URL)
	e.startDaemon()
	send := func(i int, session, project string) {
		code, _, body, err := e.message(messageBody(fmt.Sprintf("claude-opus-5-5-q%d", i), false),
			"Authorization: Bearer sk-ant-oat01-DASHBOARD-TEST", "X-Claude-Code-Session-Id: "+session, "X-Cco-Project: "+project)
		require.NoError(t, err)
		require.Equal(t, 200, code, "%s", body)
	}
	for i := range 3 {
		send(i, "aaaaaaaa-1111-4000-8000-000000000001", "/home/ann/src/alpha")
	}
	send(3, "bbbbbbbb-2222-4000-8000-000000000002", "/home/ann/src/b%C3%A9ta")
	require.NoError(t, waitFor("4 rows", func() (bool, error) { return e.status().Analytics.Written >= 4, nil }))

	b := newBrowser(t)
	b.open(t, e.base+"/")
	waitPage(t, b, "sessions and the plan", `document.querySelectorAll('#sessions tbody td.session').length == 2 && !document.getElementById('plan').hidden`)
	rows := func(sel string) []string {
		return eval[[]string](t, b, `[...document.querySelectorAll('`+sel+` tbody tr')].map(tr => [...tr.cells].map(c => c.textContent.trim()).join('|'))`)
	}
	// Both sessions' last calls may fall in the same millisecond, so
	// their order is not asserted here (analytics tests the order).
	has := func(rows []string, prefix string) bool {
		return slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, prefix) })
	}
	sessions := rows("#sessions")
	require.Len(t, sessions, 2)
	require.True(t, has(sessions, "bbbbbbbb|/home/ann/src/béta|1|"), "the project decoded: %v", sessions)
	require.True(t, has(sessions, "aaaaaaaa|/home/ann/src/alpha|3|"), "%v", sessions)
	projects := rows("#projects")
	require.Len(t, projects, 2)
	require.True(t, has(projects, "/home/ann/src/béta|1|"), "%v", projects)

	windows := eval[[]string](t, b, `[...document.querySelectorAll('#plan .plan-window')].map(w => w.dataset.window + '|' + w.className + '|' + w.querySelector('.plan-figure').textContent + '|' + w.querySelector('.meter').getAttribute('aria-valuenow'))`)
	require.Equal(t, []string{"5h|plan-window bad|93%|93", "7d|plan-window ok|41%|41"}, windows)
	width := eval[float64](t, b, `document.querySelector('#plan [data-window="5h"] .meter-fill').getBoundingClientRect().width / document.querySelector('#plan [data-window="5h"] .meter').getBoundingClientRect().width`)
	require.InDelta(t, 0.93, width, 0.02, "the gauge is as full as the window is used")
	requireNoConsoleProblems(t, b)
	b.screenshot(t, "dashboard-plan")
}
