package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// When cco's service is installed, start/stop/restart/reload go through its
// manager: a daemon that was merely signalled would be restarted by
// Restart=always or KeepAlive, and one started beside the manager would
// fight the service for the port.

// serviceStart starts the installed service and waits until it is ready.
func serviceStart(ctx context.Context, cfg *config.Config, m platform.ServiceManager, stdout io.Writer) error {
	if err := m.Start(ctx); err != nil {
		return serviceError(err)
	}
	return reportServiceReady(ctx, cfg, "started through "+m.Kind(), stdout)
}

// serviceStop stops the installed service; it stays stopped until the next
// start or login.
func serviceStop(ctx context.Context, m platform.ServiceManager, stdout io.Writer) error {
	st, err := m.Status(ctx)
	if err != nil {
		return serviceError(err)
	}
	if !st.Running {
		fmt.Fprintf(stdout, "cco is not running (%s service: %s)\n", m.Kind(), orUnknown(st.State))
		return nil
	}
	if err := m.Stop(ctx); err != nil {
		return serviceError(err)
	}
	fmt.Fprintf(stdout, "stopped through %s (pid %d)\n", m.Kind(), st.MainPID)
	return nil
}

func serviceRestart(ctx context.Context, cfg *config.Config, m platform.ServiceManager, stdout io.Writer) error {
	if err := m.Restart(ctx); err != nil {
		return serviceError(err)
	}
	return reportServiceReady(ctx, cfg, "restarted through "+m.Kind(), stdout)
}

// serviceReload asks the manager to reload (systemd's ExecReload and
// launchd's kill both send SIGHUP). ok is false where the manager has no
// reload (Windows); the caller then reloads over the daemon's API.
func serviceReload(ctx context.Context, m platform.ServiceManager, stdout io.Writer) (ok bool, err error) {
	if m.Kind() == "windows" {
		return false, nil
	}
	st, err := m.Status(ctx)
	if err != nil {
		return true, serviceError(err)
	}
	if !st.Running {
		return true, fmt.Errorf("cco is not running (%s service: %s); start it with 'cco start'", m.Kind(), orUnknown(st.State))
	}
	if err := m.Reload(ctx); err != nil {
		return true, serviceError(err)
	}
	fmt.Fprintf(stdout, "reload requested through %s (pid %d)\n", m.Kind(), st.MainPID)
	return true, nil
}

// serviceStatusInfo is what `cco status` adds when the service is installed.
type serviceStatusInfo struct {
	Manager   string   `json:"manager"`
	File      string   `json:"file"`
	Enabled   bool     `json:"enabled"`
	State     string   `json:"state"`
	Running   bool     `json:"running"`
	MainPID   int      `json:"main_pid,omitempty"`
	Restarts  *int     `json:"restarts,omitempty"`
	Binary    string   `json:"binary,omitempty"`
	Lingering *bool    `json:"lingering,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

// serviceStatus asks the manager about the installed service and checks
// that the binary it runs is still there and is this one.
func serviceStatus(ctx context.Context, m platform.ServiceManager) (serviceStatusInfo, error) {
	st, err := m.Status(ctx)
	info := serviceStatusInfo{Manager: st.Manager, File: st.Path, Enabled: st.Enabled, State: st.State,
		Running: st.Running, MainPID: st.MainPID, Binary: st.Exe, Lingering: st.Linger}
	if st.Restarts >= 0 {
		n := st.Restarts
		info.Restarts = &n
	}
	if err != nil {
		return info, serviceError(err)
	}
	info.Warnings = binaryWarnings(st.Exe)
	if st.Linger != nil && !*st.Linger {
		info.Warnings = append(info.Warnings, "lingering is off for your user: the service starts when you log in, not at boot ('loginctl enable-linger' changes that)")
	}
	return info, nil
}

// binaryWarnings says when the service's binary is gone or is not this one.
func binaryWarnings(exe string) []string {
	if exe == "" {
		return []string{"the service file names no binary; run 'cco install' to rewrite it"}
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return []string{fmt.Sprintf("the service's binary %s no longer exists; run 'cco install' to point the service at this one", exe)}
	}
	self, err := selfPath()
	if err != nil {
		return nil
	}
	if sfi, err := os.Stat(self); err == nil && !os.SameFile(fi, sfi) {
		return []string{fmt.Sprintf("the service runs %s, not this binary (%s); run 'cco install' to point the service at this one", exe, self)}
	}
	return nil
}

// writeServiceStatus prints the service lines of `cco status`.
func writeServiceStatus(w io.Writer, info serviceStatusInfo) {
	fmt.Fprintf(w, "service:    installed (%s) %s\n", info.Manager, info.File)
	fmt.Fprintf(w, "autostart:  %s\n", map[bool]string{true: "enabled", false: "disabled"}[info.Enabled])
	state := orUnknown(info.State)
	if info.Restarts != nil {
		state += fmt.Sprintf(", %d restart%s", *info.Restarts, map[bool]string{true: "", false: "s"}[*info.Restarts == 1])
	}
	fmt.Fprintf(w, "manager:    %s\n", state)
	if info.Binary != "" {
		fmt.Fprintf(w, "binary:     %s\n", info.Binary)
	}
	for _, warn := range info.Warnings {
		fmt.Fprintf(w, "warning:    %s\n", warn)
	}
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}
