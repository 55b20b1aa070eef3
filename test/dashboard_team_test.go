//go:build linux

package test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

// TestDashboardTeam: with team_url set, the dashboard shows the shipping's
// state and the team's usage by user and machine from the real
// PostgreSQL, and the password nowhere.
func TestDashboardTeam(t *testing.T) {
	pg := testkit.StartPostgres(t)
	up := newFaultyUpstream(t)
	e := teamEnv(t, up.URL, pg, "dash-machine", "dash-user")
	e.startDaemon()
	e.calls(4, "dash-team")
	waitTeamRows(t, pg, 4)

	b := newBrowser(t)
	b.open(t, e.base+"/")
	waitPage(t, b, "the team view", `!document.getElementById('team').hidden && document.querySelectorAll('#team-users tbody td.user').length > 0`)
	users := eval[[]string](t, b, `[...document.querySelectorAll('#team-users tbody tr')].map(tr => [...tr.cells].map(c => c.textContent.trim()).join('|'))`)
	machines := eval[[]string](t, b, `[...document.querySelectorAll('#team-machines tbody tr')].map(tr => [...tr.cells].map(c => c.textContent.trim()).join('|'))`)
	require.Len(t, users, 1)
	require.True(t, strings.HasPrefix(users[0], "dash-user|4|"), users[0])
	require.Len(t, machines, 1)
	require.True(t, strings.HasPrefix(machines[0], "dash-machine|4|"), machines[0])
	state := eval[string](t, b, `document.getElementById('team-state').textContent`)
	require.Contains(t, state, "0 rows pending")
	require.NotContains(t, eval[string](t, b, `document.body.innerHTML`), pg.Password)
	requireNoConsoleProblems(t, b)
	b.screenshot(t, "dashboard-team")
}
