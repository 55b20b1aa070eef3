package config

import (
	"fmt"
	"strconv"
	"time"
)

// format shows a parsed value the way a user would write it back.
func format(k Key, v any) string {
	switch k.kind {
	case kindInt:
		return strconv.FormatInt(v.(int64), 10)
	case kindSize:
		return FormatSize(v.(int64))
	case kindSeconds:
		d := v.(time.Duration)
		if d%time.Second == 0 {
			return strconv.FormatInt(int64(d/time.Second), 10)
		}
		return d.String()
	case kindBool:
		return strconv.FormatBool(v.(bool))
	case kindDollars:
		return strconv.FormatFloat(v.(float64), 'f', -1, 64)
	}
	if k.secret {
		return RedactURL(v.(string))
	}
	return v.(string)
}

// FormatSize shows a byte count in the largest binary unit that divides it
// exactly, so that what is shown parses back to the same number.
func FormatSize(n int64) string {
	units := []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// Dollars shows an amount the way cco prints money: cents, or four
// decimals for amounts under a cent (a budget of $0.001 is not "$0.00").
func Dollars(v float64) string {
	if v != 0 && v < 0.01 && v > -0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}
