package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/anthropics/cco/platform"
)

// lastFailureWindow bounds how much of the log's end status reads.
const lastFailureWindow = 64 << 10

// lastFailure is the error that ended the daemon's last run, read from the
// end of its log: what a user needs when status says "not running" while a
// service manager keeps restarting it. It is "" when the last run started
// and stopped without an error, or when the log says nothing.
func lastFailure(logPath string) (when, what string) {
	f, err := platform.OpenRegular(logPath, os.O_RDONLY, platform.NoFollow)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", ""
	}
	start := max(fi.Size()-lastFailureWindow, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, start, fi.Size()-start))
	if err != nil {
		return "", ""
	}
	lines := bytes.Split(buf, []byte("\n"))
	if start > 0 && len(lines) > 0 {
		lines = lines[1:] // a partial first line
	}
	for _, raw := range lines {
		rec, ok := parseLogLine(string(raw))
		switch {
		case !ok:
		case rec.msg == "cco daemon started":
			when, what = "", "" // a later run came up: older errors are history
		case rec.level == "ERROR":
			when, what = rec.time, rec.msg
			if rec.err != "" {
				what = rec.err
			}
		}
	}
	return when, what
}

type logRecord struct{ time, level, msg, err string }

// parseLogLine reads the fields status needs from one line of the daemon's
// log, in either log_format: slog's text (key=value, values quoted when
// needed) or JSON.
func parseLogLine(line string) (logRecord, bool) {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "{") {
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) != nil {
			return logRecord{}, false
		}
		str := func(k string) string { s, _ := v[k].(string); return s }
		return logRecord{time: str("time"), level: str("level"), msg: str("msg"), err: str("err")}, true
	}
	var rec logRecord
	for line != "" {
		key, rest, ok := strings.Cut(line, "=")
		if !ok {
			break
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				break
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			val, rest, _ = strings.Cut(rest, " ")
		}
		switch key {
		case "time":
			rec.time = val
		case "level":
			rec.level = val
		case "msg":
			rec.msg = val
		case "err":
			rec.err = val
		}
		line = strings.TrimLeft(rest, " ")
	}
	return rec, rec.level != ""
}
