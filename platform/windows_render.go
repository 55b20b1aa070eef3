package platform

import (
	"fmt"
	"io"
	"strings"
)

// RenderWindowsSettings writes, as text, what 'cco install' asks of the
// Windows Service Control Manager (scm_install.go), for review and golden
// tests: the SCM itself cannot be run where the tests run.
func RenderWindowsSettings(w io.Writer, s ServiceSettings) error {
	c, err := newSCMService(s)
	if err != nil {
		return err
	}
	startType := "automatic"
	if !c.AutoStart {
		startType = "manual"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name: %s\nDisplayName: %s\nDescription: %s\n", c.Name, c.DisplayName, c.Description)
	fmt.Fprintf(&b, "BinaryPath: %s\n", windowsCommandLine(c.Exe, c.Args))
	fmt.Fprintf(&b, "ServiceType: own process\nStartType: %s\nDelayedAutoStart: false\n", startType)
	for _, e := range c.Env {
		fmt.Fprintf(&b, "Environment: %s=%s\n", e.Name, e.Value)
	}
	fmt.Fprintf(&b, "Recovery: restart after %s, failure count reset after %.0fs\n", c.RestartDelay, c.ResetPeriod.Seconds())
	fmt.Fprintf(&b, "RecoveryOnNonCrashFailures: true\nEventLogSource: %s\n", c.Name)
	_, err = io.WriteString(w, b.String())
	return err
}
