package platform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/unit"
)

// RenderSystemdUnit writes the systemd user unit, which kardianos/service
// is given as its SystemdScript: the library's own template restarts after
// 120 s, is wanted by multi-user.target (never reached by a user manager,
// so the service would not start at login), reads an EnvironmentFile from
// /etc/sysconfig and quotes ExecStart with cmdEscape, which leaves '%' and
// '$' for systemd to expand. The unit holds no template keys, so the
// library writes it as it is.
func RenderSystemdUnit(w io.Writer, s ServiceSettings) error {
	if err := s.validate(); err != nil {
		return err
	}
	opts := []*unit.UnitOption{
		unit.NewUnitOption("Unit", "Description", escapeSpecifiers(serviceDescription)),
		unit.NewUnitOption("Unit", "Documentation", "https://github.com/anthropics/cco#readme"),
		// Restart=always must not give up after a burst of crashes.
		unit.NewUnitOption("Unit", "StartLimitIntervalSec", "0"),
		// The daemon says READY=1 once it listens, so `systemctl start`
		// returns when it can answer, and a daemon that never gets there
		// fails the start instead of looking active.
		unit.NewUnitOption("Service", "Type", "notify"),
		unit.NewUnitOption("Service", "ExecStart", SystemdCommandLine(s.Command())),
		unit.NewUnitOption("Service", "ExecReload", "/bin/kill -HUP $MAINPID"),
		unit.NewUnitOption("Service", "Restart", "always"),
		unit.NewUnitOption("Service", "RestartSec", systemdSeconds(RestartDelay)),
		unit.NewUnitOption("Service", "WatchdogSec", systemdSeconds(WatchdogInterval)),
		// A clean stop exits 0 once drained; give the drain time before SIGKILL.
		unit.NewUnitOption("Service", "TimeoutStopSec", systemdSeconds(StopTimeout)),
	}
	if s.WorkingDir != "" {
		opts = append(opts, unit.NewUnitOption("Service", "WorkingDirectory", escapeSpecifiers(s.WorkingDir)))
	}
	for _, e := range s.Env {
		opts = append(opts, unit.NewUnitOption("Service", "Environment", systemdQuote(e.Name+"="+e.Value, false)))
	}
	opts = append(opts, unit.NewUnitOption("Install", "WantedBy", "default.target"))
	_, err := io.Copy(w, unit.Serialize(opts))
	return err
}

func systemdSeconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return d.String()
}

// SystemdCommandLine quotes argv for ExecStart so that paths with spaces,
// quotes, '%' (a specifier) or '$' (a variable) reach the process intact.
func SystemdCommandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = systemdQuote(a, true)
	}
	return strings.Join(words, " ")
}

// systemdQuote quotes one word the way systemd unquotes it: double quotes
// with C-style backslash escapes, '%' doubled everywhere, '$' doubled in
// command lines where systemd would expand it.
func systemdQuote(s string, command bool) string {
	var b strings.Builder
	needQuotes := s == ""
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
			needQuotes = true
		case '"':
			b.WriteString(`\"`)
			needQuotes = true
		case '%':
			b.WriteString("%%")
		case '$':
			if command {
				b.WriteString("$$")
			} else {
				b.WriteRune(r)
			}
		case ' ', '\t', '\'', ';':
			b.WriteRune(r)
			needQuotes = true
		default:
			b.WriteRune(r)
		}
	}
	if needQuotes {
		return `"` + b.String() + `"`
	}
	return b.String()
}

func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// SplitSystemdCommandLine is the inverse of SystemdCommandLine, enough to
// read back the ExecStart of a unit cco wrote (and plain hand edits).
func SplitSystemdCommandLine(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == 0 && (r == ' ' || r == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		case quote == 0 && (r == '"' || r == '\''):
			quote, inWord = r, true
			continue
		case quote != 0 && r == quote:
			quote = 0
			continue
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
		case (r == '%' || r == '$') && i+1 < len(rs) && rs[i+1] == r:
			i++
			cur.WriteRune(r)
		default:
			cur.WriteRune(r)
		}
		inWord = true
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote in command line")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// systemdFacts flattens a unit into "Section.Key" -> value lines, to say
// what an install changed.
func systemdFacts(content []byte) (map[string]string, error) {
	opts, err := unit.DeserializeOptions(bytes.NewReader(content))
	if err != nil {
		return nil, err
	}
	facts := map[string]string{}
	for _, o := range opts {
		k := o.Section + "." + o.Name
		if prev, ok := facts[k]; ok {
			facts[k] = prev + "\n" + o.Value
		} else {
			facts[k] = o.Value
		}
	}
	return facts, nil
}

// systemdExecStart returns argv of the unit's ExecStart.
func systemdExecStart(content []byte) ([]string, error) {
	facts, err := systemdFacts(content)
	if err != nil {
		return nil, err
	}
	line, ok := facts["Service.ExecStart"]
	if !ok {
		return nil, errors.New("the unit has no ExecStart")
	}
	// Prefixes such as "-" or "@" are not something cco writes; drop them.
	line = strings.TrimLeft(line, "-@:+!")
	return SplitSystemdCommandLine(line)
}
