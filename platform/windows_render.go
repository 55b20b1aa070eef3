package platform

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kardianos/service"
)

// Windows recovery: restart 10 s after a failure, and forget past failures
// after a day. kardianos/service reads these options with exact type
// checks (string, string, int); a wrong type silently falls back to its
// default, so the types here are part of the contract and of the golden file.
const (
	windowsOnFailureDelay = "10s"
	windowsResetPeriod    = 86400
)

// WindowsServiceConfig is the kardianos/service configuration of the
// Windows service. Recovery actions are set only when OnFailure is given.
func WindowsServiceConfig(s ServiceSettings) *service.Config {
	// The values of kardianos's ServiceStartAutomatic and ServiceStartManual,
	// which exist only in its Windows build.
	startType := "automatic"
	if !s.AutoStart {
		startType = "manual"
	}
	env := map[string]string{}
	for _, e := range s.Env {
		env[e.Name] = e.Value
	}
	return &service.Config{
		Name:             s.Name,
		DisplayName:      s.DisplayName,
		Description:      s.Description,
		Executable:       s.Exe,
		Arguments:        s.Args,
		WorkingDirectory: s.WorkingDir,
		EnvVars:          env,
		Option: service.KeyValue{
			"StartType":              startType,
			"OnFailure":              "restart",
			"OnFailureDelayDuration": windowsOnFailureDelay,
			"OnFailureResetPeriod":   windowsResetPeriod,
			"DelayedAutoStart":       false,
		},
	}
}

// RenderWindowsSettings writes the Windows service configuration as text,
// with the Go type of every option, for review and golden tests.
func RenderWindowsSettings(w io.Writer, s ServiceSettings) error {
	if err := s.validate(); err != nil {
		return err
	}
	c := WindowsServiceConfig(s)
	var b strings.Builder
	fmt.Fprintf(&b, "Name: %s\nDisplayName: %s\nDescription: %s\n", c.Name, c.DisplayName, c.Description)
	fmt.Fprintf(&b, "Executable: %s\nArguments: %s\n", c.Executable, strings.Join(c.Arguments, " "))
	fmt.Fprintf(&b, "WorkingDirectory: %s\n", c.WorkingDirectory)
	for _, k := range sortedKeys(c.EnvVars) {
		fmt.Fprintf(&b, "Environment: %s=%s\n", k, c.EnvVars[k])
	}
	keys := make([]string, 0, len(c.Option))
	for k := range c.Option {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "Option %s: %#v (%T)\n", k, c.Option[k], c.Option[k])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
