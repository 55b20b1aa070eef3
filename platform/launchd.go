package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/kardianos/service"
)

// Launchd manages cco's LaunchAgent. kardianos/service (Lib) writes and
// removes the plist; loading, starting and stopping use the launchctl verbs
// of macOS 10.11 and later (bootstrap, bootout, kickstart, enable, disable,
// print), not the deprecated load/unload the library runs. It is
// OS-independent so that tests run it on any OS against a recording
// launchctl.
type Launchd struct {
	Dir      string // see LaunchAgentsDir
	Settings ServiceSettings
	Lib      service.Service
	LibDir   string // where Lib writes plists: the user's ~/Library/LaunchAgents
	Runner   Runner
	UID      int
}

func (m *Launchd) Kind() string { return "launchd" }

// Path is the plist file.
func (m *Launchd) Path() string { return filepath.Join(m.Dir, ServiceLabel+".plist") }

func (m *Launchd) domain() string { return fmt.Sprintf("gui/%d", m.UID) }
func (m *Launchd) target() string { return m.domain() + "/" + ServiceLabel }

func (m *Launchd) Installed() (bool, error) { return fileExists(m.Path()) }

func (m *Launchd) launchctl(ctx context.Context, args ...string) (string, error) {
	out, err := m.Runner.Run(ctx, "launchctl", args...)
	if errors.Is(err, exec.ErrNotFound) {
		return "", noManager("launchd is not available here (no launchctl on PATH); run the daemon with 'cco start' instead")
	}
	return out, err
}

// onAgent runs `launchctl ARGS TARGET` on the agent; a failure says what
// it was doing.
func (m *Launchd) onAgent(ctx context.Context, doing string, args ...string) error {
	if _, err := m.launchctl(ctx, append(args, m.target())...); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// loaded reports whether the agent is bootstrapped in the user's domain.
func (m *Launchd) loaded(ctx context.Context) (bool, string, error) {
	out, err := m.launchctl(ctx, "print", m.target())
	if err == nil {
		return true, out, nil
	}
	if errors.Is(err, ErrNoServiceManager) {
		return false, "", err
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		return false, "", nil // "Could not find service ... in domain"
	}
	return false, "", err
}

// Install writes the plist when it differs, through the library, which
// refuses a plist that exists: a changed one is booted out (when loaded),
// uninstalled and installed again, and booted in again so that launchd
// runs the new file.
func (m *Launchd) Install(ctx context.Context) (InstallResult, error) {
	isLoaded, _, err := m.loaded(ctx)
	if err != nil {
		return InstallResult{}, err
	}
	res, want, err := compareFile(m.Path(), RenderLaunchdPlist, m.Settings, launchdFacts)
	if err != nil || !res.Changed() {
		return res, err
	}
	if isLoaded {
		if err := m.bootout(ctx); err != nil {
			return res, err
		}
	}
	if err := m.write(res.Created, want); err != nil {
		return InstallResult{}, err
	}
	if isLoaded {
		return res, m.bootstrap(ctx)
	}
	return res, nil
}

// write puts the plist in place: through the library when it writes where
// launchd looks for this user's agents, else (HOME not the user's home
// directory, which the library uses) atomically by cco.
func (m *Launchd) write(created bool, plist []byte) error {
	if filepath.Clean(m.Dir) != filepath.Clean(m.LibDir) {
		if err := os.MkdirAll(m.Dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", m.Dir, err)
		}
		return WriteFileAtomic(m.Path(), plist, 0o644)
	}
	return libInstall(m.Lib, m.Path(), created)
}

func (m *Launchd) bootstrap(ctx context.Context) error {
	if _, err := m.launchctl(ctx, "bootstrap", m.domain(), m.Path()); err != nil {
		if strings.Contains(commandOutput(err), "isabled") || exitCode(err) == 119 {
			return fmt.Errorf("starting %s: the service is disabled; run 'cco enable' first: %w", ServiceLabel, err)
		}
		return fmt.Errorf("starting %s with launchctl bootstrap: %w", ServiceLabel, err)
	}
	return nil
}

func (m *Launchd) bootout(ctx context.Context) error {
	return m.onAgent(ctx, "stopping "+ServiceLabel+" with launchctl bootout", "bootout")
}

// Uninstall boots the agent out (which stops it), then removes the plist
// through the library (whose own unload finds nothing loaded by then). It
// does not leave a "disabled" override behind in launchd's database.
func (m *Launchd) Uninstall(ctx context.Context) (bool, error) {
	isLoaded, _, err := m.loaded(ctx)
	if err != nil {
		return false, err
	}
	if isLoaded {
		if err := m.bootout(ctx); err != nil {
			return false, err
		}
	}
	installed, err := m.Installed()
	if err != nil || !installed {
		return false, err
	}
	if filepath.Clean(m.Dir) != filepath.Clean(m.LibDir) {
		return removeFile(m.Path())
	}
	if err := m.Lib.Uninstall(); err != nil {
		return false, fmt.Errorf("removing %s: %w", m.Path(), err)
	}
	return true, nil
}

func (m *Launchd) Enable(ctx context.Context) error {
	return m.onAgent(ctx, "enabling "+ServiceLabel, "enable")
}

func (m *Launchd) Disable(ctx context.Context) error {
	return m.onAgent(ctx, "disabling "+ServiceLabel, "disable")
}

// Start loads the agent (RunAtLoad starts it) or, when loaded, kicks it.
func (m *Launchd) Start(ctx context.Context) error {
	return m.bootstrapOr(ctx, "starting "+ServiceLabel+" with launchctl kickstart", "kickstart")
}

// Stop boots the agent out: a stopped LaunchAgent stays stopped until the
// next start or login, whatever KeepAlive says.
func (m *Launchd) Stop(ctx context.Context) error {
	isLoaded, _, err := m.loaded(ctx)
	if err != nil || !isLoaded {
		return err
	}
	return m.bootout(ctx)
}

func (m *Launchd) Restart(ctx context.Context) error {
	return m.bootstrapOr(ctx, "restarting "+ServiceLabel+" with launchctl kickstart -k", "kickstart", "-k")
}

// bootstrapOr bootstraps the agent when it is not loaded, else runs
// `launchctl ARGS TARGET` on it (see onAgent).
func (m *Launchd) bootstrapOr(ctx context.Context, doing string, args ...string) error {
	isLoaded, _, err := m.loaded(ctx)
	if err != nil {
		return err
	}
	if !isLoaded {
		return m.bootstrap(ctx)
	}
	return m.onAgent(ctx, doing, args...)
}

// Reload sends SIGHUP, which the daemon takes as "re-read the config".
func (m *Launchd) Reload(ctx context.Context) error {
	return m.onAgent(ctx, "reloading "+ServiceLabel, "kill", "SIGHUP")
}

var (
	printState = regexp.MustCompile(`(?m)^\s*state = (.+)$`)
	printPID   = regexp.MustCompile(`(?m)^\s*pid = (\d+)$`)
	printRuns  = regexp.MustCompile(`(?m)^\s*runs = (\d+)$`)
)

// Status reads the plist and `launchctl print`; enabled comes from
// `launchctl print-disabled`, the override database enable/disable edit.
func (m *Launchd) Status(ctx context.Context) (ServiceStatus, error) {
	st, err := fileStatus(m.Kind(), m.Path(), launchdProgram)
	if err != nil || !st.Installed {
		return st, err
	}
	isLoaded, out, err := m.loaded(ctx)
	if err != nil {
		return st, err
	}
	st.State = "not loaded"
	if isLoaded {
		st.State = "loaded"
		if s := printState.FindStringSubmatch(out); s != nil {
			st.State = strings.TrimSpace(s[1])
		}
		st.Running = st.State == "running"
		if s := printPID.FindStringSubmatch(out); s != nil {
			st.MainPID, _ = strconv.Atoi(s[1])
		}
		if s := printRuns.FindStringSubmatch(out); s != nil {
			if runs, _ := strconv.Atoi(s[1]); runs > 0 {
				st.Restarts = runs - 1
			}
		}
	}
	st.Enabled = true
	if out, err := m.launchctl(ctx, "print-disabled", m.domain()); err == nil {
		re := regexp.MustCompile(`"` + regexp.QuoteMeta(ServiceLabel) + `"\s*=>\s*(\w+)`)
		if s := re.FindStringSubmatch(out); s != nil {
			st.Enabled = s[1] == "enabled" || s[1] == "false"
		}
	}
	return st, nil
}
