package platform

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// settings are realistic and awkward at once: spaces, a '%', a '$', an
// ampersand and angle brackets, all of which each format must escape.
func testSettings(exe, home string) ServiceSettings {
	return ServiceSettings{
		Name:       ServiceName,
		Exe:        exe,
		Args:       ServiceArgs,
		WorkingDir: home,
		Env: []EnvVar{
			{"CCO_HOME", home},
			{"PATH", "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"},
		},
		// Slash paths: only the plist has them, and it is a macOS file.
		StdoutPath: path.Join(home, "daemon.stdout.log"),
		StderrPath: path.Join(home, "daemon.stderr.log"),
		AutoStart:  true,
	}
}

const (
	goldenExe  = "/Users/alice/My Apps/R&D <tools>/cco$1"
	goldenHome = "/Users/alice/cco 100%"
)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./platform -update")
	assert.Equal(t, string(want), string(got), "rendered %s differs from %s (run with -update if the change is intended)", name, path)
}

func render(t *testing.T, r Renderer, s ServiceSettings) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, r(&buf, s))
	return buf.Bytes()
}

func TestSystemdUnitGolden(t *testing.T) {
	out := render(t, RenderSystemdUnit, testSettings(goldenExe, goldenHome))
	golden(t, "cco-daemon.service.golden", out)

	facts, err := systemdFacts(out)
	require.NoError(t, err)
	for k, v := range map[string]string{
		"Service.Type":        "notify",
		"Service.Restart":     "always",
		"Service.RestartSec":  "10",
		"Service.WatchdogSec": "30",
		"Service.ExecReload":  "/bin/kill -HUP $MAINPID",
		"Install.WantedBy":    "default.target",
	} {
		assert.Equal(t, v, facts[k], k)
	}
	assert.NotContains(t, string(out), "EnvironmentFile")
	assert.NotContains(t, string(out), "multi-user.target")
	argv, err := systemdExecStart(out)
	require.NoError(t, err)
	assert.Equal(t, []string{goldenExe, "daemon", "run"}, argv)
}

// The library is given cco's unit and plist as its templates: they must
// hold no template keys, or it would expand them.
func TestLibConfigCarriesCcosFiles(t *testing.T) {
	s := testSettings(goldenExe, goldenHome)
	c, err := libConfig(s, s.Name)
	require.NoError(t, err)
	assert.Equal(t, string(render(t, RenderSystemdUnit, s)), c.Option["SystemdScript"])
	assert.Equal(t, string(render(t, RenderLaunchdPlist, s)), c.Option["LaunchdConfig"])
	assert.Equal(t, true, c.Option["UserService"])
	for _, k := range []string{"SystemdScript", "LaunchdConfig"} {
		assert.NotContains(t, c.Option[k], "{{", k)
	}
	s.Exe = "/opt/{{Path}}/cco"
	_, err = libConfig(s, s.Name)
	assert.ErrorContains(t, err, `would read as a template`)
}

func TestSystemdQuotingRoundTrip(t *testing.T) {
	for _, argv := range [][]string{
		{"/usr/bin/cco", "daemon", "run"},
		{"/home/a b/c\"d\\e/cco", "--config", "/x/100%/$HOME/'q'.toml"},
		{"/tmp/tab\there", ""},
	} {
		got, err := SplitSystemdCommandLine(SystemdCommandLine(argv))
		require.NoError(t, err)
		assert.Equal(t, argv, got)
	}
}

func TestRenderRejectsNewlines(t *testing.T) {
	s := testSettings("/usr/bin/cco\nExecStartPre=/bin/rm", "/home/a")
	var buf bytes.Buffer
	assert.ErrorContains(t, RenderSystemdUnit(&buf, s), "control character")
	assert.Error(t, RenderLaunchdPlist(&buf, s))
}

// systemd-analyze verify must accept the unit cco writes, for an
// executable whose path has spaces and a '%'.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd); the unit cannot be verified here")
	}
	dir := t.TempDir()
	appDir := filepath.Join(dir, "my apps 100%")
	require.NoError(t, os.MkdirAll(appDir, 0o755))
	exe := filepath.Join(appDir, "cco")
	require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\nexit 0\n"), 0o755))
	unitPath := filepath.Join(dir, "cco-daemon.service")
	require.NoError(t, os.WriteFile(unitPath, render(t, RenderSystemdUnit, testSettings(exe, appDir)), 0o644))

	runtime := filepath.Join(dir, "run")
	require.NoError(t, os.Mkdir(runtime, 0o700))
	cmd := exec.Command(analyze, "--user", "verify", unitPath)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "systemd-analyze verify rejected the unit:\n%s", out)
	// verify exits 0 on warnings such as an unknown key; cco's unit has none.
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify warned")
}

func TestLaunchdPlistGolden(t *testing.T) {
	out := render(t, RenderLaunchdPlist, testSettings(goldenExe, goldenHome))
	golden(t, "com.anthropic.cco.daemon.plist.golden", out)

	root := parsePlist(t, out)
	dict, ok := root.(map[string]any)
	require.True(t, ok, "the plist's root is not a dict: %#v", root)
	assert.Equal(t, "com.anthropic.cco.daemon", dict["Label"])
	assert.Equal(t, []any{goldenExe, "daemon", "run"}, dict["ProgramArguments"])
	assert.Equal(t, true, dict["RunAtLoad"])
	assert.Equal(t, map[string]any{"SuccessfulExit": false}, dict["KeepAlive"])
	assert.Equal(t, goldenHome+"/daemon.stdout.log", dict["StandardOutPath"])
	assert.Equal(t, goldenHome+"/daemon.stderr.log", dict["StandardErrorPath"])
	assert.Equal(t, goldenHome, dict["WorkingDirectory"])
	env, ok := dict["EnvironmentVariables"].(map[string]any)
	require.True(t, ok, "EnvironmentVariables is not a dict")
	assert.Equal(t, goldenHome, env["CCO_HOME"])
	assert.Contains(t, env["PATH"], "/opt/homebrew/bin")
	assert.Equal(t, int64(10), dict["ThrottleInterval"])
}

func TestLaunchdPlistWithoutEnv(t *testing.T) {
	s := testSettings("/usr/local/bin/cco", "/Users/a/.cco")
	s.Env = nil
	dict := parsePlist(t, render(t, RenderLaunchdPlist, s)).(map[string]any)
	assert.NotContains(t, dict, "EnvironmentVariables")
}

func TestWindowsSettingsGolden(t *testing.T) {
	s := testSettings(`C:\Program Files\cco\cco.exe`, `C:\Users\alice\.cco`)
	s.Env = s.Env[:1]
	golden(t, "windows-service.golden", render(t, RenderWindowsSettings, s))

	s.AutoStart = false
	assert.Contains(t, string(render(t, RenderWindowsSettings, s)), "StartType: manual\n")
}
