package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/cco/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithHeaderKeepsTheUsersHeaders(t *testing.T) {
	assert.Equal(t, "x-cco-project: /p", withHeader("", "x-cco-project", "/p"))
	assert.Equal(t, "X-Team: a:b\nx-cco-project: /p", withHeader("X-Team: a:b", "x-cco-project", "/p"))
	assert.Equal(t, "x-one: 1\nx-two: 2\nx-cco-project: /new", withHeader("x-one: 1\r\nX-Cco-Project: /old\r\nx-two: 2\r\n", "x-cco-project", "/new"),
		"an old value is replaced, CRLF and blank lines go")
}

func TestHeaderValueIsWhatClaudeCodeCanSend(t *testing.T) {
	assert.Equal(t, "/home/al ice/p", headerValue("/home/al ice/p"), "spaces go as they are")
	assert.Equal(t, "/tmp/caf%C3%A9/%E6%97%A5%E6%9C%AC", headerValue("/tmp/café/日本"))
	assert.Equal(t, "/a%25b%0Ac", headerValue("/a%b\nc"), "a literal % and control characters are escaped too")
	for _, r := range headerValue("/tmp/é日\t\x7f") {
		assert.True(t, r >= 0x20 && r < 0x7f, "%q", r)
	}
}

func TestProjectIsTheTopOfTheWorkTree(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	deep := filepath.Join(repo, "a", "b")
	require.NoError(t, os.MkdirAll(deep, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(repo, ".git"), 0o755))
	assert.Equal(t, repo, projectOf(deep))
	assert.Equal(t, repo, projectOf(repo))

	worktree := filepath.Join(dir, "wt")
	require.NoError(t, os.MkdirAll(filepath.Join(worktree, "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(worktree, ".git"), []byte("gitdir: "+repo+"/.git/worktrees/wt\n"), 0o644))
	assert.Equal(t, worktree, projectOf(filepath.Join(worktree, "x")), "a worktree's .git file counts")

	plain := filepath.Join(dir, "plain")
	require.NoError(t, os.Mkdir(plain, 0o755))
	if projectOf(plain) == plain {
		return
	}
	t.Skip("the temp dir is inside a git work tree")
}

func TestClaudeBinary(t *testing.T) {
	isolate(t)
	fake := filepath.Join(t.TempDir(), "claude")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755))

	bin, rest, err := claudeBinary([]string{"--claude", fake, "-p", "hi"})
	require.NoError(t, err)
	assert.Equal(t, fake, bin)
	assert.Equal(t, []string{"-p", "hi"}, rest)

	bin, rest, err = claudeBinary([]string{"--claude=" + fake, "--claude", "x"})
	require.NoError(t, err)
	assert.Equal(t, fake, bin)
	assert.Equal(t, []string{"--claude", "x"}, rest, "only a leading --claude is cco's")

	t.Setenv("CCO_CLAUDE", fake)
	bin, _, err = claudeBinary([]string{"--version"})
	require.NoError(t, err)
	assert.Equal(t, fake, bin)

	t.Setenv("CCO_CLAUDE", "")
	t.Setenv("PATH", t.TempDir())
	_, _, err = claudeBinary(nil)
	require.ErrorContains(t, err, "npm install -g @anthropic-ai/claude-code")

	_, _, err = claudeBinary([]string{"--claude"})
	require.ErrorAs(t, err, new(usageError))
}

func TestEnvEdits(t *testing.T) {
	env := []string{"A=1", "ANTHROPIC_BASE_URL=x", "B=2"}
	assert.Equal(t, "x", lookupEnv(env, "ANTHROPIC_BASE_URL"))
	assert.Equal(t, "", lookupEnv(env, "ANTHROPIC"))
	assert.Equal(t, []string{"A=1", "B=2", "ANTHROPIC_BASE_URL=y"}, setEnv(env, "ANTHROPIC_BASE_URL", "y"))
}

func TestStatusLineParts(t *testing.T) {
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, time.Local)
	reset := now.Add(3 * time.Hour)
	p := &server.Plan{Windows: []server.PlanWindow{
		{Name: "5h", Utilization: 0.42, ResetsAt: &reset},
		{Name: "7d", Utilization: 0.17},
		{Name: "7d_opus", Utilization: 0.05},
		{Name: "7d_sonnet", Utilization: 0.91},
		{Name: "overage", Utilization: 0.99, Stale: true},
	}}
	assert.Equal(t, []string{"5h 42% ↺21:00", "7d 17%", "7d_sonnet 91%"}, planParts(p, now),
		"the 5-hour and weekly windows, others only near their limit, stale ones never")
	assert.Nil(t, planParts(nil, now))

	assert.Equal(t, "$0.00", spent(server.Spend{}))
	assert.Equal(t, "<$0.01", spent(server.Spend{APIKeyUSD: 0.0004}))
	assert.Equal(t, "$1.25", spent(server.Spend{APIKeyUSD: 1, SubscriptionUSD: 0.25}))
	assert.Equal(t, "≈$3.10", spent(server.Spend{SubscriptionUSD: 3.1}), "subscription spend is an API-equivalent")

	assert.Empty(t, budgetWarning(server.Budget{DailyUSD: 10, DailySpent: 7.9, Percent: 79}))
	assert.Equal(t, "⚠ daily budget 82%", budgetWarning(server.Budget{DailyUSD: 10, DailySpent: 8.2, Percent: 82}))
	assert.Equal(t, "⚠ session budget spent", budgetWarning(server.Budget{DailyUSD: 100, DailySpent: 5, SessionUSD: 5, SessionSpent: 5, Percent: 100}))
}

func TestBypassed(t *testing.T) {
	t.Setenv("CLAUDECODE", "")
	assert.False(t, bypassed("", "http://127.0.0.1:3000"), "outside Claude Code it cannot tell")
	t.Setenv("CLAUDECODE", "1")
	assert.True(t, bypassed("", "http://127.0.0.1:3000"), "no base URL: Claude Code goes to Anthropic")
	assert.False(t, bypassed("http://localhost:3000/", "http://127.0.0.1:3000"))
	assert.True(t, bypassed("http://127.0.0.1:3001", "http://127.0.0.1:3000"))
	assert.True(t, bypassed("https://gateway.corp.example", "http://127.0.0.1:3000"))
}

func TestStatusLineNeverFails(t *testing.T) {
	isolate(t)
	// A daemon that is not running: the line says so, exit 0.
	code, stdout, stderr := runCLI("statusline")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "cco: not running\n", stdout)
	assert.Empty(t, stderr)

	code, _, stderr = runCLI("statusline", "--force")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--force only goes with --install")
}

func TestStatusLineInstall(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("CLAUDE_CONFIG_DIR", dir)
	file := filepath.Join(dir, "settings.json")
	orig := "{\n  \"model\": \"opus\",\n  \"env\": {\"X\": \"1\"}\n}\n"
	require.NoError(t, os.WriteFile(file, []byte(orig), 0o640))

	code, stdout, stderr := runCLI("statusline", "--install")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "now cco's")
	got, _ := os.ReadFile(file)
	assert.True(t, strings.HasPrefix(string(got), "{\n  \"model\": \"opus\",\n  \"env\": {\"X\": \"1\"},\n  \"statusLine\": {"), "%s", got)
	assert.Contains(t, string(got), " statusline\"\n  }\n}\n")
	fi, _ := os.Stat(file)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "the file keeps its mode")

	code, stdout, _ = runCLI("statusline", "--install")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "already cco's")

	code, _, _ = runCLI("statusline", "--uninstall")
	require.Equal(t, exitOK, code)
	got, _ = os.ReadFile(file)
	assert.Equal(t, orig, string(got), "install then uninstall gives back the file byte for byte")

	// Someone else's status line is kept unless --force.
	other := "{\"statusLine\": {\"type\": \"command\", \"command\": \"~/bin/my-line\"}}"
	require.NoError(t, os.WriteFile(file, []byte(other), 0o600))
	code, _, stderr = runCLI("statusline", "--install")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "--force")
	assert.Contains(t, stderr, "my-line")
	got, _ = os.ReadFile(file)
	assert.Equal(t, other, string(got))
	code, _, stderr = runCLI("statusline", "--uninstall")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not cco's")
	code, _, stderr = runCLI("statusline", "--install", "--force")
	require.Equal(t, exitOK, code, stderr)
	got, _ = os.ReadFile(file)
	assert.Contains(t, string(got), "statusline")
	assert.NotContains(t, string(got), "my-line")

	// Broken JSON is never overwritten.
	require.NoError(t, os.WriteFile(file, []byte("{\"model\": "), 0o600))
	code, _, stderr = runCLI("statusline", "--install")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not valid JSON")
	got, _ = os.ReadFile(file)
	assert.Equal(t, "{\"model\": ", string(got))
}

func TestStatusLineInstallCreatesAndFollowsLinks(t *testing.T) {
	isolate(t)
	dir := filepath.Join(t.TempDir(), "new")
	t.Setenv("CLAUDE_CONFIG_DIR", dir)
	code, _, stderr := runCLI("statusline", "--install")
	require.Equal(t, exitOK, code, stderr)
	got, err := os.ReadFile(filepath.Join(dir, "settings.json"))
	require.NoError(t, err)
	assert.Contains(t, string(got), "\"statusLine\"")

	// A settings.json kept in a dotfiles repository and linked: the link
	// stays, the file it names changes.
	dots := filepath.Join(t.TempDir(), "settings.json")
	require.NoError(t, os.WriteFile(dots, []byte("{}"), 0o644))
	link := filepath.Join(dir, "settings.json")
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Symlink(dots, link))
	installThroughLink(t, link, dots)
}

// installThroughLink runs `cco statusline --install` where link is the
// settings file: the link stays, and target, the file it names, gets
// cco's status line.
func installThroughLink(t *testing.T, link, target string) {
	t.Helper()
	code, _, stderr := runCLI("statusline", "--install")
	require.Equal(t, exitOK, code, stderr)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink)
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Contains(t, string(got), `"statusLine"`)
}

func TestIsOurStatusLine(t *testing.T) {
	for cmd, want := range map[string]bool{
		`cco statusline`:                   true,
		`/usr/local/bin/cco statusline`:    true,
		`'/home/a b/bin/cco' statusline`:   true,
		`C:\\Users\\a\\cco.exe statusline`: true,
		`ccusage statusline`:               false,
		`cco status`:                       false,
		`~/bin/my-line`:                    false,
	} {
		assert.Equal(t, want, isOurStatusLine([]byte(`{"type":"command","command":"`+cmd+`"}`)), cmd)
	}
	assert.Equal(t, "/usr/bin/cco", shellQuote("/usr/bin/cco"))
	assert.Equal(t, `'/home/a b/it'\''s/cco'`, shellQuote("/home/a b/it's/cco"))
	assert.Equal(t, `'/tmp/we\ird/cco'`, shellQuote(`/tmp/we\ird/cco`), "sh would eat the backslash")
}

func TestStatusLineInstallKeepsWhatIsNotCcos(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("CLAUDE_CONFIG_DIR", dir)
	file := filepath.Join(dir, "settings.json")
	write := func(s string) { require.NoError(t, os.WriteFile(file, []byte(s), 0o600)) }
	read := func() string { b, _ := os.ReadFile(file); return string(b) }

	// cco's own line, with the user's options: only the command changes.
	write(`{"statusLine": {"type": "command", "command": "/old/place/cco statusline", "padding": 2, "refreshInterval": 5}}`)
	code, _, stderr := runCLI("statusline", "--install")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, read(), `"padding": 2, "refreshInterval": 5}`)
	assert.NotContains(t, read(), "/old/place")

	// CRLF stays CRLF; a byte order mark stays.
	write("\xef\xbb\xbf{\r\n  \"model\": \"opus\"\r\n}\r\n")
	code, _, stderr = runCLI("statusline", "--install")
	require.Equal(t, exitOK, code, stderr)
	got := read()
	assert.True(t, strings.HasPrefix(got, "\xef\xbb\xbf{"), "%q", got)
	assert.NotRegexp(t, "[^\r]\n", got, "no bare LF in a CRLF file")
	code, _, _ = runCLI("statusline", "--uninstall")
	require.Equal(t, exitOK, code)
	assert.Equal(t, "\xef\xbb\xbf{\r\n  \"model\": \"opus\"\r\n}\r\n", read())

	// A dangling link (a dotfiles checkout not made yet) is written
	// through, and stays a link.
	require.NoError(t, os.Remove(file))
	real := filepath.Join(t.TempDir(), "dotfiles-settings.json")
	require.NoError(t, os.Symlink(real, file))
	installThroughLink(t, file, real)
}
