package platform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kardianos/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// fakeLaunchctl records each command line and keeps just enough state
// (loaded, disabled) to answer like launchctl does.
const fakeLaunchctl = `#!/bin/sh
echo "$*" >> "$FAKE_LAUNCHCTL_LOG"
state="$FAKE_LAUNCHCTL_STATE"
case "$1" in
print)
	if [ -f "$state" ]; then
		printf '%s = {\n\tactive count = 1\n\tstate = running\n\tpid = 4242\n\truns = 3\n\tlast exit code = 0\n}\n' "$2"
	else
		echo "Bad request." >&2
		echo "Could not find service \"cco\" in domain for port" >&2
		exit 113
	fi ;;
print-disabled)
	printf 'disabled services = {\n'
	[ -f "$state.disabled" ] && printf '\t"com.anthropic.cco.daemon" => disabled\n'
	printf '}\n' ;;
bootstrap) [ -f "$2" ] || [ -f "$3" ] || exit 5; touch "$state" ;;
bootout) [ -f "$state" ] || { echo "Boot-out failed: 3: No such process" >&2; exit 3; }; rm "$state" ;;
enable) rm -f "$state.disabled" ;;
disable) touch "$state.disabled" ;;
kickstart|kill) [ -f "$state" ] || exit 113 ;;
*) echo "unknown subcommand $1" >&2; exit 64 ;;
esac
`

func TestLaunchdCommandLines(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake launchctl is a shell script, which Windows cannot run (launchd is macOS only)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "launchctl"), []byte(fakeLaunchctl), 0o755))
	log := filepath.Join(dir, "launchctl.log")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_LAUNCHCTL_LOG", log)
	t.Setenv("FAKE_LAUNCHCTL_STATE", filepath.Join(dir, "loaded"))

	home := filepath.Join(dir, "home")
	plist := filepath.Join(home, "Library/LaunchAgents/com.anthropic.cco.daemon.plist")
	appendLog := func(line string) {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		fmt.Fprintln(f, line)
		f.Close()
	}
	settings := testSettings("/usr/local/bin/cco", home+"/.cco")
	m := &Launchd{Dir: LaunchAgentsDir(home), LibDir: LaunchAgentsDir(home), Settings: settings, Runner: ExecRunner{}, UID: 501,
		Lib: newFakeLib(t, settings, plist, "LaunchdConfig", appendLog)}
	ctx := context.Background()
	const target = "gui/501/com.anthropic.cco.daemon"
	require.Equal(t, plist, m.Path())

	// calls runs step and returns the library calls and launchctl command
	// lines it made.
	calls := func(step func() error) []string {
		t.Helper()
		require.NoError(t, os.WriteFile(log, nil, 0o644))
		require.NoError(t, step())
		b, err := os.ReadFile(log)
		require.NoError(t, err)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	install := func() error {
		_, err := m.Install(ctx)
		return err
	}

	assert.Equal(t, []string{"print " + target, "lib install"}, calls(install))
	assert.FileExists(t, plist)
	assert.Equal(t, string(render(t, RenderLaunchdPlist, settings)), readFile(t, plist), "the library writes cco's plist as it is")
	assert.Equal(t, []string{"enable " + target}, calls(func() error { return m.Enable(ctx) }))
	assert.Equal(t, []string{"print " + target, "bootstrap gui/501 " + plist}, calls(func() error { return m.Start(ctx) }))
	assert.Equal(t, []string{"print " + target, "kickstart " + target}, calls(func() error { return m.Start(ctx) }))
	assert.Equal(t, []string{"print " + target, "kickstart -k " + target}, calls(func() error { return m.Restart(ctx) }))
	assert.Equal(t, []string{"kill SIGHUP " + target}, calls(func() error { return m.Reload(ctx) }))

	st, err := m.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, ServiceStatus{Manager: "launchd", Installed: true, Path: plist, Enabled: true, State: "running",
		Running: true, MainPID: 4242, Restarts: 2, Exe: "/usr/local/bin/cco"}, st)

	// A changed binary path rewrites the plist (the library refuses one
	// that exists: uninstall, install) and reloads the loaded agent.
	m.Settings.Exe = "/opt/homebrew/bin/cco"
	m.Lib = newFakeLib(t, m.Settings, plist, "LaunchdConfig", appendLog)
	var res InstallResult
	assert.Equal(t, []string{"print " + target, "bootout " + target, "lib uninstall", "lib install", "bootstrap gui/501 " + plist},
		calls(func() (err error) { res, err = m.Install(ctx); return err }))
	assert.Equal(t, []string{`ProgramArguments: /usr/local/bin/cco daemon run -> /opt/homebrew/bin/cco daemon run`}, res.Changes)
	assert.Equal(t, []string{"print " + target}, calls(install), "an up-to-date install only looks")

	assert.Equal(t, []string{"print " + target, "bootout " + target}, calls(func() error { return m.Stop(ctx) }))
	assert.Equal(t, []string{"print " + target}, calls(func() error { return m.Stop(ctx) }), "stopping a stopped agent is a no-op")
	assert.Equal(t, []string{"disable " + target}, calls(func() error { return m.Disable(ctx) }))
	st, err = m.Status(ctx)
	require.NoError(t, err)
	assert.False(t, st.Enabled)
	assert.Equal(t, "not loaded", st.State)

	require.NoError(t, m.Start(ctx))
	assert.Equal(t, []string{"print " + target, "bootout " + target, "lib uninstall"}, calls(func() error { _, err := m.Uninstall(ctx); return err }))
	assert.NoFileExists(t, plist)
	assert.Equal(t, []string{"print " + target}, calls(func() error { _, err := m.Uninstall(ctx); return err }), "uninstalling twice is fine")
}

func TestLaunchctlMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	m := &Launchd{Dir: t.TempDir(), Settings: testSettings("/usr/local/bin/cco", "/h"), Runner: ExecRunner{}, UID: 501}
	_, err := m.Install(context.Background())
	assert.ErrorIs(t, err, ErrNoServiceManager)
	assert.NoFileExists(t, m.Path(), "nothing is written when the manager is missing")
}

// fakeLib stands in for kardianos/service where its real one cannot run
// (launchd off macOS; systemctl under a unit test): it writes and removes
// the file the library would, from the very options cco gives the library,
// and records each call.
type fakeLib struct {
	service.Service // the calls cco never makes panic
	path, script    string
	log             func(line string) // where the calls are recorded, in order with the manager's commands
}

func newFakeLib(t *testing.T, s ServiceSettings, path, option string, log func(string)) *fakeLib {
	c, err := libConfig(s, s.Name)
	require.NoError(t, err)
	return &fakeLib{path: path, script: c.Option[option].(string), log: log}
}

func (f *fakeLib) record(call string) { f.log("lib " + call) }
func (f *fakeLib) String() string     { return "cco daemon" }

// Install refuses a file that exists, as the library does.
func (f *fakeLib) Install() error {
	f.record("install")
	if _, err := os.Stat(f.path); err == nil {
		return fmt.Errorf("Init already exists: %s", f.path)
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(f.path, []byte(f.script), 0o644)
}
func (f *fakeLib) Uninstall() error { f.record("uninstall"); return os.Remove(f.path) }
func (f *fakeLib) Start() error     { f.record("start"); return nil }
func (f *fakeLib) Stop() error      { f.record("stop"); return nil }
func (f *fakeLib) Restart() error   { f.record("restart"); return nil }

// recorder is a fake Runner that records command lines and answers from a
// table keyed by the command line.
type recorder struct {
	calls   []string
	answers map[string]error
	out     map[string]string
}

func (r *recorder) Run(ctx context.Context, name string, args ...string) (string, error) {
	line := name + " " + strings.Join(args, " ")
	r.calls = append(r.calls, line)
	return r.out[line], r.answers[line]
}

func TestSystemdCommandLines(t *testing.T) {
	dir := t.TempDir()
	unit := filepath.Join(dir, ".config/systemd/user/cco-daemon.service")
	rec := &recorder{out: map[string]string{
		"systemctl --user show cco-daemon.service --property=FragmentPath":                                                   "FragmentPath=" + unit + "\n",
		"systemctl --user show cco-daemon.service --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts": "LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=77\nNRestarts=4\n",
	}}
	linger := filepath.Join(dir, "linger")
	require.NoError(t, os.Mkdir(linger, 0o755))
	settings := testSettings("/usr/bin/cco", dir)
	lib := func(s ServiceSettings) *fakeLib {
		return newFakeLib(t, s, unit, "SystemdScript", func(l string) { rec.calls = append(rec.calls, l) })
	}
	m := &Systemd{Dir: SystemdUserUnitDir(dir, ""), LibDir: SystemdUserUnitDir(dir, ""), Settings: settings, Lib: lib(settings),
		Runner: rec, LingerDir: linger, User: "alice"}
	ctx := context.Background()
	require.Equal(t, unit, m.Path())

	res, err := m.Install(ctx)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, []string{"systemctl --user show --property=Version", "lib install",
		"systemctl --user show cco-daemon.service --property=FragmentPath"}, rec.calls)
	assert.Equal(t, string(render(t, RenderSystemdUnit, settings)), readFile(t, unit), "the library writes cco's unit as it is")

	rec.calls = nil
	res, err = m.Install(ctx)
	require.NoError(t, err)
	assert.False(t, res.Changed())
	assert.Equal(t, []string{"systemctl --user show --property=Version"}, rec.calls, "no reload when nothing changed")

	m.Settings.Exe = "/home/alice/go/bin/cco"
	m.Lib = lib(m.Settings)
	rec.calls = nil
	res, err = m.Install(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{`Service.ExecStart: /usr/bin/cco daemon run -> /home/alice/go/bin/cco daemon run`}, res.Changes)
	assert.Equal(t, []string{"systemctl --user show --property=Version", "lib uninstall", "lib install",
		"systemctl --user show cco-daemon.service --property=FragmentPath"}, rec.calls, "the library refuses an existing unit: it is replaced")

	st, err := m.Status(ctx)
	require.NoError(t, err)
	no := false
	assert.Equal(t, ServiceStatus{Manager: "systemd", Installed: true, Path: unit, Enabled: true, State: "active (running)",
		Running: true, MainPID: 77, Restarts: 4, Exe: "/home/alice/go/bin/cco", Linger: &no}, st)

	rec.calls = nil
	for _, f := range []func(context.Context) error{m.Enable, m.Disable, m.Start, m.Stop, m.Restart, m.Reload} {
		require.NoError(t, f(ctx))
	}
	assert.Equal(t, []string{
		"systemctl --user enable cco-daemon.service", "systemctl --user disable cco-daemon.service",
		"lib start", "lib stop", "lib restart", "systemctl --user reload cco-daemon.service",
	}, rec.calls)

	rec.calls = nil
	removed, err := m.Uninstall(ctx)
	require.NoError(t, err)
	assert.True(t, removed)
	assert.NoFileExists(t, unit)
	assert.Equal(t, []string{"systemctl --user show --property=Version", "systemctl --user stop cco-daemon.service",
		"lib uninstall", "systemctl --user reset-failed cco-daemon.service"}, rec.calls)
	removed, err = m.Uninstall(ctx)
	require.NoError(t, err)
	assert.False(t, removed)
}

// A unit written where the manager does not look is taken back.
func TestSystemdInstallWhereManagerDoesNotLook(t *testing.T) {
	rec := &recorder{out: map[string]string{
		"systemctl --user show cco-daemon.service --property=FragmentPath": "FragmentPath=\n",
	}}
	m := &Systemd{Dir: t.TempDir(), LibDir: t.TempDir(), Settings: testSettings("/usr/bin/cco", "/h"), Runner: rec}
	_, err := m.Install(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not read units from "+m.Dir)
	assert.Contains(t, rec.calls, "systemctl --user daemon-reload", "a unit dir the library does not know is written by cco, then the manager reloaded")
	assert.NoFileExists(t, m.Path())
}

func TestSystemdNoUserBus(t *testing.T) {
	rec := &recorder{answers: map[string]error{
		"systemctl --user show --property=Version": &CommandError{Cmd: "systemctl --user show", ExitCode: 1,
			Stderr: "Failed to connect to bus: No medium found\n"},
	}}
	m := &Systemd{Dir: t.TempDir(), Settings: testSettings("/usr/bin/cco", "/h"), Runner: rec}
	_, err := m.Install(context.Background())
	require.ErrorIs(t, err, ErrNoServiceManager)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "cannot reach the systemd user manager (Failed to connect to bus: No medium found)")
	assert.NoFileExists(t, m.Path())

	t.Setenv("PATH", t.TempDir())
	m.Runner = ExecRunner{}
	_, err = m.Install(context.Background())
	require.ErrorIs(t, err, ErrNoServiceManager)
	assert.Contains(t, err.Error(), "no systemctl on PATH")
}

func TestSystemdUserUnitDir(t *testing.T) {
	assert.Equal(t, "/x/systemd/user", SystemdUserUnitDir("/home/a", "/x"))
	assert.Equal(t, "/home/a/.config/systemd/user", SystemdUserUnitDir("/home/a", ""))
	assert.Equal(t, "/home/a/.config/systemd/user", SystemdUserUnitDir("/home/a", "relative"), "a relative XDG_CONFIG_HOME is ignored, as the spec says")
}
