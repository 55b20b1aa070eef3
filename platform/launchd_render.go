package platform

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"howett.net/plist"
)

// launchdPlist is the LaunchAgent property list, which kardianos/service
// is given as its LaunchdConfig: the library's own writes KeepAlive as a
// plain boolean (restart even after a clean stop), has no
// ThrottleInterval and puts the logs in the home directory's root.
type launchdPlist struct {
	Label                string            `plist:"Label"`
	ProgramArguments     []string          `plist:"ProgramArguments"`
	RunAtLoad            bool              `plist:"RunAtLoad"`
	KeepAlive            launchdKeepAlive  `plist:"KeepAlive"`
	ThrottleInterval     int               `plist:"ThrottleInterval,omitempty"`
	ExitTimeOut          int               `plist:"ExitTimeOut,omitempty"`
	WorkingDirectory     string            `plist:"WorkingDirectory,omitempty"`
	EnvironmentVariables map[string]string `plist:"EnvironmentVariables,omitempty"`
	StandardOutPath      string            `plist:"StandardOutPath,omitempty"`
	StandardErrorPath    string            `plist:"StandardErrorPath,omitempty"`
}

// launchdKeepAlive restarts the agent only when it did not exit cleanly, so
// `cco stop` (exit 0) sticks and a crash (non-zero) is restarted.
type launchdKeepAlive struct {
	SuccessfulExit bool `plist:"SuccessfulExit"`
}

func newLaunchdPlist(s ServiceSettings) launchdPlist {
	p := launchdPlist{
		Label:            ServiceLabel,
		ProgramArguments: s.Command(),
		RunAtLoad:        true,
		KeepAlive:        launchdKeepAlive{SuccessfulExit: false},
		// launchd's own restart delay.
		ThrottleInterval:  int(RestartDelay.Seconds()),
		ExitTimeOut:       int(StopTimeout.Seconds()),
		WorkingDirectory:  s.WorkingDir,
		StandardOutPath:   s.StdoutPath,
		StandardErrorPath: s.StderrPath,
	}
	if len(s.Env) > 0 {
		p.EnvironmentVariables = map[string]string{}
		for _, e := range s.Env {
			p.EnvironmentVariables[e.Name] = e.Value
		}
	}
	return p
}

// RenderLaunchdPlist writes the LaunchAgent plist (XML, values escaped by
// the encoder).
func RenderLaunchdPlist(w io.Writer, s ServiceSettings) error {
	if err := s.validate(); err != nil {
		return err
	}
	enc := plist.NewEncoderForFormat(w, plist.XMLFormat)
	enc.Indent("\t")
	if err := enc.Encode(newLaunchdPlist(s)); err != nil {
		return fmt.Errorf("rendering the launchd plist: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// launchdFacts flattens a plist into key -> value lines, to say what an
// install changed.
func launchdFacts(content []byte) (map[string]string, error) {
	var p launchdPlist
	if _, err := plist.Unmarshal(content, &p); err != nil {
		return nil, err
	}
	facts := map[string]string{
		"Label":                    p.Label,
		"ProgramArguments":         strings.Join(p.ProgramArguments, " "),
		"RunAtLoad":                fmt.Sprint(p.RunAtLoad),
		"KeepAlive.SuccessfulExit": fmt.Sprint(p.KeepAlive.SuccessfulExit),
		"ThrottleInterval":         fmt.Sprint(p.ThrottleInterval),
		"WorkingDirectory":         p.WorkingDirectory,
		"StandardOutPath":          p.StandardOutPath,
		"StandardErrorPath":        p.StandardErrorPath,
	}
	keys := slices.Sorted(maps.Keys(p.EnvironmentVariables))
	for _, k := range keys {
		facts["EnvironmentVariables."+k] = p.EnvironmentVariables[k]
	}
	return facts, nil
}

// launchdProgram returns the plist's ProgramArguments.
func launchdProgram(content []byte) ([]string, error) {
	var p launchdPlist
	if _, err := plist.Unmarshal(content, &p); err != nil {
		return nil, err
	}
	if len(p.ProgramArguments) == 0 {
		return nil, fmt.Errorf("the plist has no ProgramArguments")
	}
	return p.ProgramArguments, nil
}

// diffFacts lists what changed from old to new, one line per key, sorted.
func diffFacts(old, new map[string]string) []string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	sorted := slices.Sorted(maps.Keys(keys))
	var out []string
	for _, k := range sorted {
		o, inOld := old[k]
		n, inNew := new[k]
		switch {
		case !inOld:
			out = append(out, fmt.Sprintf("%s: added %s", k, n))
		case !inNew:
			out = append(out, fmt.Sprintf("%s: removed (was %s)", k, o))
		case o != n:
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, o, n))
		}
	}
	return out
}
