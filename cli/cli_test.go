package cli

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolate points HOME and CCO_HOME at a temp dir for one test.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("CCO_HOME", filepath.Join(dir, ".cco"))
	return filepath.Join(dir, ".cco")
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	isolate(t)
	code, _, stderr := runCLI()
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "Usage:")

	code, _, stderr = runCLI("nope")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown command "nope"`)

	code, _, stderr = runCLI("version", "--bogus")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "unknown flag: --bogus")

	code, stdout, _ := runCLI("daemon", "version")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "cco dev")

	code, stdout, _ = runCLI("--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Commands:")
}

func TestEveryVerbHasHelp(t *testing.T) {
	isolate(t)
	for _, c := range commands() {
		args := []string{c.name, "--help"}
		if c.passthrough {
			args = []string{"help", c.name} // --help is the other program's
		}
		code, stdout, stderr := runCLI(args...)
		assert.Equal(t, exitOK, code, c.name)
		assert.Contains(t, stdout, "Usage: cco "+c.name, c.name)
		assert.Empty(t, stderr, c.name)
	}
}

func TestConfigVerbs(t *testing.T) {
	home := isolate(t)
	code, stdout, _ := runCLI("config", "path")
	require.Equal(t, exitOK, code)
	assert.Equal(t, filepath.Join(home, "config.toml")+"\n", stdout)

	code, _, stderr := runCLI("config", "set", "port", "0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "port: 0 is out of range")

	code, _, _ = runCLI("config", "set", "log_format", "json")
	require.Equal(t, exitOK, code)
	code, stdout, _ = runCLI("config", "show", "--json")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"key": "log_format",`)
	assert.Contains(t, stdout, `"value": "json",`)

	code, _, stderr = runCLI("config", "frob")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown config subcommand "frob"`)
}

func TestRunRejectsBadConfigBeforeBinding(t *testing.T) {
	isolate(t)
	t.Setenv("CCO_CACHE_TTL", "-1")
	code, _, stderr := runCLI("daemon", "run")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "CCO_CACHE_TTL")
}
