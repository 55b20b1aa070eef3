// Package test holds cco's end-to-end tests: they build the real binary once
// and drive it as a user would, through testscript scripts in testdata/script.
package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/anthropics/cco/internal/testkit"
)

// binDir holds the cco binary built once for every test in the package.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cco-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	exe := filepath.Join(dir, "cco")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	args := []string{"build", "-o", exe, "-ldflags", "-X main.version=e2e -X main.commit=test"}
	if os.Getenv("CCO_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "..")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cco:", err)
		return 1
	}
	binDir = dir
	return m.Run()
}

// ccoPath is the binary under test.
func ccoPath() string { return filepath.Join(binDir, "cco") }

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Setup:               setupScript,
		Cmds:                scriptCommands(),
		RequireExplicitExec: true,
	})
}

// setupScript gives each script its own HOME and CCO_HOME, the binary on
// PATH, and a free port in $PORT.
func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env.Setenv("HOME", home)
	env.Setenv("CCO_HOME", filepath.Join(home, ".cco"))
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	env.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	port, err := testkit.FreePort()
	if err != nil {
		return err
	}
	env.Setenv("PORT", fmt.Sprint(port))
	return nil
}
