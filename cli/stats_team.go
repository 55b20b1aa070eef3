package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server/team"
)

// teamStatsWait bounds reaching the team database: stats --team is a
// question asked at a terminal.
const teamStatsWait = 15 * time.Second

// cmdTeamStats is cco stats --team: the team database, read directly, so
// that anyone with read access to it can ask, daemon or not.
func cmdTeamStats(ctx context.Context, file string, o statsOptions, stdout io.Writer) error {
	if o.by == "" {
		o.by = "user"
	}
	switch {
	case !slices.Contains(team.GroupBys, o.by):
		return usageError{fmt.Sprintf("--team --by %s: team usage groups by one of %s", o.by, strings.Join(team.GroupBys, ", "))}
	case o.session != "" || o.project != "":
		return usageError{"--session and --project do not go with --team; use --team --by session or --team --by project"}
	}
	cfg, err := loadConfig(file, nil)
	if err != nil {
		return err
	}
	if cfg.TeamURL == "" {
		// A configuration error (exit 2), not a failure of the database.
		return &config.Error{Msg: "team_url is not set, so there is no team database to read; set it with 'cco config set team_url postgres://USER@HOST/DATABASE' (or CCO_TEAM_URL)"}
	}
	ctx, cancel := context.WithTimeout(ctx, teamStatsWait)
	defer cancel()
	db, err := team.OpenDB(ctx, cfg.TeamURL)
	if err != nil {
		return err
	}
	defer db.Close()
	gs, err := db.Stats(ctx, team.Query{By: o.by, Since: o.from, Until: o.to, Limit: o.limit})
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(stdout, gs)
	}
	printGroups(stdout, gs, true)
	fmt.Fprintf(stdout, "\nfrom %s\n", config.RedactURL(cfg.TeamURL))
	return nil
}
