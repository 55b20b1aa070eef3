package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kardianos/service"
)

// Systemd manages cco's systemd user unit. kardianos/service (Lib) writes
// and removes the unit and starts, stops and restarts it; what the library
// does not do, or does wrong, is cco's own, through systemctl (Runner):
// reaching the user manager at all, updating an installed unit, enabling
// and disabling, reload, and a status with NRestarts. It is
// OS-independent so that its logic runs in tests anywhere; only the
// wiring that picks it is Linux-only.
type Systemd struct {
	Dir       string // unit directory, see SystemdUserUnitDir
	Settings  ServiceSettings
	Lib       service.Service
	LibDir    string // where Lib writes units: ~/.config/systemd/user
	Runner    Runner
	LingerDir string // /var/lib/systemd/linger, where logind records lingering users
	User      string // login name, for the lingering check
}

func (m *Systemd) Kind() string { return "systemd" }
func (m *Systemd) unit() string { return m.Settings.Name + ".service" }

// Path is the unit file.
func (m *Systemd) Path() string { return filepath.Join(m.Dir, m.unit()) }

func (m *Systemd) Installed() (bool, error) { return fileExists(m.Path()) }

// systemctl runs `systemctl --user ARGS`, turning "there is no user
// manager" into one line that says so instead of systemctl's own noise.
func (m *Systemd) systemctl(ctx context.Context, args ...string) (string, error) {
	out, err := m.Runner.Run(ctx, "systemctl", append([]string{"--user"}, args...)...)
	if err == nil {
		return out, nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", noManager("systemd is not available here (no systemctl on PATH); run the daemon with 'cco start' instead")
	}
	said := commandOutput(err)
	for _, sign := range []string{"Failed to connect to bus", "XDG_RUNTIME_DIR", "System has not been booted with systemd", "Failed to connect to user scope bus"} {
		if strings.Contains(said, sign) {
			return "", noManager("cannot reach the systemd user manager (%s); log in to a session that runs 'systemd --user', or run the daemon with 'cco start' instead", firstLine(said))
		}
	}
	return out, err
}

// ping checks that the user manager answers before anything is written:
// the library would write the unit first and fail after.
func (m *Systemd) ping(ctx context.Context) error {
	_, err := m.systemctl(ctx, "show", "--property=Version")
	return err
}

// Install writes the unit when it differs from the one installed and makes
// the manager read it. The library's Install refuses a unit that exists,
// so a changed one is uninstalled and installed again through it; where
// the manager reads units from another directory than the library writes
// to (XDG_CONFIG_HOME set), cco writes the unit itself.
func (m *Systemd) Install(ctx context.Context) (InstallResult, error) {
	if err := m.ping(ctx); err != nil {
		return InstallResult{}, err
	}
	res, want, err := compareFile(m.Path(), RenderSystemdUnit, m.Settings, systemdFacts)
	if err != nil || !res.Changed() {
		return res, err
	}
	if filepath.Clean(m.Dir) == filepath.Clean(m.LibDir) {
		err = libInstall(m.Lib, m.Path(), res.Created)
	} else {
		err = m.writeUnit(ctx, want)
	}
	if err != nil {
		return InstallResult{}, err
	}
	// The manager reads units from its own search path, computed from its
	// own environment: a shell whose XDG_CONFIG_HOME differs would write
	// a unit systemd never sees. Check, and take a new file back if so.
	out, err := m.systemctl(ctx, "show", m.unit(), "--property=FragmentPath")
	if err != nil {
		return res, fmt.Errorf("asking systemd about %s: %w", m.unit(), err)
	}
	if got := parseProperties(out)["FragmentPath"]; got != m.Path() {
		if res.Created {
			_, _ = removeFile(m.Path())
			_, _ = m.systemctl(ctx, "daemon-reload")
		}
		return InstallResult{}, fmt.Errorf("the systemd user manager does not read units from %s (it loads %q); is XDG_CONFIG_HOME set differently for it? see 'systemd-analyze --user unit-paths'", m.Dir, got)
	}
	return res, nil
}

// writeUnit is Install's own path for a unit directory the library does
// not know: it writes the unit atomically and reloads the manager.
func (m *Systemd) writeUnit(ctx context.Context, unit []byte) error {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", m.Dir, err)
	}
	if err := WriteFileAtomic(m.Path(), unit, 0o644); err != nil {
		return err
	}
	if _, err := m.systemctl(ctx, "daemon-reload"); err != nil {
		return fmt.Errorf("reloading the systemd user manager: %w", err)
	}
	return nil
}

// Uninstall stops the unit (the library's Uninstall does not), removes it
// through the library, and makes the manager forget a failed state. A unit
// that is not there is not an error; one whose file was deleted by hand is
// still stopped and disabled.
func (m *Systemd) Uninstall(ctx context.Context) (bool, error) {
	if err := m.ping(ctx); err != nil {
		// With no unit file and no manager to hold a unit, there is
		// nothing to remove, and that is not an error.
		var none *NoManagerError
		if installed, ierr := m.Installed(); ierr == nil && !installed && errors.As(err, &none) {
			return false, nil
		}
		return false, err
	}
	if _, err := m.systemctl(ctx, "stop", m.unit()); err != nil && !unitMissing(err) {
		return false, fmt.Errorf("stopping %s: %w", m.unit(), err)
	}
	installed, err := m.Installed()
	if err != nil {
		return false, err
	}
	if installed && filepath.Clean(m.Dir) == filepath.Clean(m.LibDir) {
		if err := m.Lib.Uninstall(); err != nil {
			return false, fmt.Errorf("uninstalling %s: %w", m.unit(), err)
		}
	} else {
		if _, err := m.systemctl(ctx, "disable", m.unit()); err != nil && !unitMissing(err) {
			return false, fmt.Errorf("disabling %s: %w", m.unit(), err)
		}
		if _, err := removeFile(m.Path()); err != nil {
			return false, err
		}
		if _, err := m.systemctl(ctx, "daemon-reload"); err != nil {
			return installed, fmt.Errorf("reloading the systemd user manager: %w", err)
		}
	}
	_, _ = m.systemctl(ctx, "reset-failed", m.unit())
	return installed, nil
}

// unitMissing reports systemctl's "no such unit" answers.
func unitMissing(err error) bool {
	said := commandOutput(err)
	return strings.Contains(said, "not loaded") || strings.Contains(said, "does not exist") || strings.Contains(said, "not found")
}

// act runs one of the library's controls. The library reports only
// systemctl's exit status, so a failure is explained here: no manager to
// talk to, or where the unit's own log is.
func (m *Systemd) act(ctx context.Context, verb string) error {
	if err := service.Control(m.Lib, verb); err != nil {
		if perr := m.ping(ctx); perr != nil {
			return perr
		}
		return fmt.Errorf("%s %s through systemd: %w (see 'systemctl --user status %s' and 'journalctl --user -u %s')", verb, m.unit(), err, m.unit(), m.unit())
	}
	return nil
}

func (m *Systemd) Start(ctx context.Context) error   { return m.act(ctx, "start") }
func (m *Systemd) Stop(ctx context.Context) error    { return m.act(ctx, "stop") }
func (m *Systemd) Restart(ctx context.Context) error { return m.act(ctx, "restart") }

// own runs a systemctl verb the library has no call for.
func (m *Systemd) own(ctx context.Context, verb string) error {
	if _, err := m.systemctl(ctx, verb, m.unit()); err != nil {
		if errors.Is(err, ErrNoServiceManager) {
			return err
		}
		return fmt.Errorf("%s %s through systemd: %w (see 'journalctl --user -u %s')", verb, m.unit(), err, m.unit())
	}
	return nil
}

func (m *Systemd) Enable(ctx context.Context) error  { return m.own(ctx, "enable") }
func (m *Systemd) Disable(ctx context.Context) error { return m.own(ctx, "disable") }
func (m *Systemd) Reload(ctx context.Context) error  { return m.own(ctx, "reload") }

// Status combines the unit file with what the manager says about it. The
// library's Status knows only running, stopped and "not installed" (which
// it also answers for a unit that is deactivating or reloading), so the
// manager is asked directly.
func (m *Systemd) Status(ctx context.Context) (ServiceStatus, error) {
	st, err := fileStatus(m.Kind(), m.Path(), systemdExecStart)
	if err != nil || !st.Installed {
		return st, err
	}
	if m.LingerDir != "" && m.User != "" {
		_, err := os.Stat(filepath.Join(m.LingerDir, m.User))
		linger := err == nil
		st.Linger = &linger
	}
	out, err := m.systemctl(ctx, "show", m.unit(),
		"--property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts")
	if err != nil {
		return st, fmt.Errorf("asking systemd about %s: %w", m.unit(), err)
	}
	props := parseProperties(out)
	st.Enabled = props["UnitFileState"] == "enabled" || props["UnitFileState"] == "enabled-runtime"
	st.State = props["ActiveState"]
	if sub := props["SubState"]; sub != "" {
		st.State += " (" + sub + ")"
	}
	st.Running = props["ActiveState"] == "active" || props["ActiveState"] == "reloading"
	st.MainPID, _ = strconv.Atoi(props["MainPID"])
	if n, err := strconv.Atoi(props["NRestarts"]); err == nil {
		st.Restarts = n
	}
	return st, nil
}

// parseProperties reads `systemctl show` output (Key=value lines).
func parseProperties(out string) map[string]string {
	props := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	return props
}
