package analytics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWindow is the span statistics cover when no start is given.
const DefaultWindow = 24 * time.Hour

// ParseRange reads a since/until pair. Each is RFC 3339 or a duration back
// from now ("24h", "90m", "7d"); empty until means now, empty since means
// DefaultWindow before until.
func ParseRange(since, until string, now time.Time) (time.Time, time.Time, error) {
	u := now
	if until != "" {
		t, err := ParseTime(until, now)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("until: %w", err)
		}
		u = t
	}
	s := u.Add(-DefaultWindow)
	if since != "" {
		t, err := ParseTime(since, now)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("since: %w", err)
		}
		s = t
	}
	if !s.Before(u) {
		return time.Time{}, time.Time{}, fmt.Errorf("since (%s) must be before until (%s)", s.UTC().Format(time.RFC3339), u.UTC().Format(time.RFC3339))
	}
	return s, u, nil
}

// ParseTime reads an RFC 3339 time or a duration back from now.
func ParseTime(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2025-01-02T15:04:05Z) nor a duration back from now (24h, 90m, 7d)", v)
}
