package platform

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// RenderWindowsSettings writes the Windows service configuration as text,
// with the Go type of every option, for review and golden tests.
func RenderWindowsSettings(w io.Writer, s ServiceSettings) error {
	if err := s.validate(); err != nil {
		return err
	}
	c, err := libConfig(s, s.Name)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name: %s\nDisplayName: %s\nDescription: %s\n", c.Name, c.DisplayName, c.Description)
	fmt.Fprintf(&b, "Executable: %s\nArguments: %s\n", c.Executable, strings.Join(c.Arguments, " "))
	fmt.Fprintf(&b, "WorkingDirectory: %s\n", c.WorkingDirectory)
	for _, k := range slices.Sorted(maps.Keys(c.EnvVars)) {
		fmt.Fprintf(&b, "Environment: %s=%s\n", k, c.EnvVars[k])
	}
	for _, k := range slices.Sorted(maps.Keys(c.Option)) {
		if k == "SystemdScript" || k == "LaunchdConfig" {
			continue // the other OSes' files, golden in their own right
		}
		fmt.Fprintf(&b, "Option %s: %#v (%T)\n", k, c.Option[k], c.Option[k])
	}
	_, err = io.WriteString(w, b.String())
	return err
}
