package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactNeverShowsThePassword(t *testing.T) {
	const pw = "s3cr:t/pw@x"
	esc := strings.NewReplacer(":", "%3A", "/", "%2F", "@", "%40").Replace(pw)
	for _, raw := range []string{
		"postgres://u:" + esc + "@db.example:5432/team?sslmode=require",
		"postgresql://u:" + esc + "@db.example/team",
		"postgres://u@db.example/team?password=" + esc + "&sslmode=disable",
		"postgres://u@db.example/team?PassWord=" + esc,
		"postgres://u:" + esc + "@db.example/team#" + esc,
		"postgres://u:" + esc + "@[::1]:5432/team",
		"postgres://u:" + esc + "@db.example:notaport/team",
		"host=db.example password=" + pw + " dbname=team",
		"postgres://u:" + pw + "@db.example/team", // unescaped: not a valid URL
		"%zz" + pw,
	} {
		got := RedactURL(raw)
		require.NotContains(t, got, pw, raw)
		require.NotContains(t, got, esc, raw)
		require.NotContains(t, got, "s3cr", raw)
	}
	require.Equal(t, "postgres://u:xxxxx@db.example:5432/team?sslmode=require", RedactURL("postgres://u:"+esc+"@db.example:5432/team?sslmode=require"))
	require.Equal(t, "postgres://u@db.example/team", RedactURL("postgres://u@db.example/team"), "nothing to hide")
	require.Equal(t, "", RedactURL(""))
}

func TestValidateURL(t *testing.T) {
	require.NoError(t, ValidateTeamURL("postgres://u@db.example:5432/team?sslmode=verify-full"))
	require.NoError(t, ValidateTeamURL("postgresql://u:pw@db.example/team"))
	require.NoError(t, ValidateTeamURL("postgres://u@/team?host=/var/run/postgresql"))
	for raw, want := range map[string]string{
		"":                                   "team_url is empty",
		"mysql://u@db/team":                  `scheme "mysql" is not allowed, only postgres:// or postgresql://`,
		"postgres://u@/team":                 "names no host",
		"postgres://u@db.example":            "names no database",
		"postgres://u@db.example/a/b":        "is not a database name",
		"postgres://u@db.example:99999/team": `port "99999" is not a number from 1 to 65535`,
		"postgres://u@db.example/team?sslmode=yes":             `sslmode "yes" is not one of disable, allow, prefer, require, verify-ca, verify-full`,
		"postgres://u:pw@db.example/team?connect_timeout=soon": "the form is postgres://",
		"postgres://u:s3cret@db.example:x/team":                "not a URL",
	} {
		err := ValidateTeamURL(raw)
		require.ErrorContains(t, err, want, raw)
		require.NotContains(t, err.Error(), "s3cret", raw)
		require.NotContains(t, err.Error(), ":pw@", raw)
	}
}
