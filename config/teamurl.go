package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// sslModes are the values libpq (and so pgx) accepts for sslmode.
var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

const teamURLForm = "the form is postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]"

// ValidateTeamURL checks a team_url: it says what is wrong and what is
// allowed, and never repeats a password.
func ValidateTeamURL(raw string) error {
	problem, showForm := teamURLProblem(raw)
	switch {
	case problem == "":
		return nil
	case showForm:
		return errors.New("team_url " + problem + "; " + teamURLForm)
	}
	return errors.New("team_url " + problem)
}

// teamURLProblem is what is wrong with a team_url (the URL redacted, then
// the problem; "" when nothing is), and whether the URL's form would help.
// As a config key's value the key and its allowed text already say both.
func teamURLProblem(raw string) (problem string, showForm bool) {
	if strings.TrimSpace(raw) == "" {
		return "is empty", true
	}
	// url.Parse's own errors quote the whole URL, password and all.
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%s is not a URL", RedactURL(raw)), true
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Sprintf("%s: scheme %q is not allowed, only postgres:// or postgresql://", RedactURL(raw), u.Scheme), true
	}
	q := u.Query()
	if u.Hostname() == "" && q.Get("host") == "" {
		return fmt.Sprintf("%s names no host", RedactURL(raw)), true
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%s: port %q is not a number from 1 to 65535", RedactURL(raw), p), false
		}
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" && q.Get("dbname") == "" {
		return fmt.Sprintf("%s names no database", RedactURL(raw)), true
	}
	if strings.Contains(db, "/") {
		return fmt.Sprintf("%s: %q is not a database name (one path segment, no /)", RedactURL(raw), db), false
	}
	if m := q.Get("sslmode"); m != "" && !slices.Contains(sslModes, m) {
		return fmt.Sprintf("%s: sslmode %q is not one of %s", RedactURL(raw), m, strings.Join(sslModes, ", ")), false
	}
	if _, err := pgconn.ParseConfig(raw); err != nil {
		// pgx masks the password in its parse errors, but its message
		// may still carry the URL: report only what it found wrong.
		var pe *pgconn.ParseConfigError
		msg := "pgx cannot use it"
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			msg = pe.Unwrap().Error()
		}
		return fmt.Sprintf("%s: %s", RedactURL(raw), ScrubURL(msg, raw)), true
	}
	return "", false
}

// RedactURL returns the URL with any password replaced by "xxxxx", for
// config show, status and the log. What cannot be parsed as a URL is not
// shown at all, since where a password sits in it is unknown.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return "(unparseable URL hidden: it may hold a password)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.EqualFold(k, "password") {
				q[k] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// ScrubURL removes any password of raw from msg: a last guard for
// messages that come from libraries and might quote what they were given.
func ScrubURL(msg, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return msg
	}
	var secrets []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			secrets = append(secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "password") {
			for _, v := range vs {
				if v != "" {
					secrets = append(secrets, v, url.QueryEscape(v))
				}
			}
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}
