package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

// The real Claude Code, against a fake Messages API, through the real cco
// binary: what a user runs. `make test` installs the pinned Claude Code and
// names it in CCO_TEST_CLAUDE; a plain `go test` finds claude on PATH or
// skips these tests.
const claudeVersion = "2.1.332"

func claudeCode(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CCO_TEST_CLAUDE"); p != "" {
		_, err := os.Stat(p)
		require.NoError(t, err, "CCO_TEST_CLAUDE names Claude Code, which must be there (make claude-code installs it)")
		return p
	}
	p, err := exec.LookPath("claude")
	if err != nil {
		t.Skip("Claude Code is not installed (make test installs it; or set CCO_TEST_CLAUDE)")
	}
	return p
}

// newClaudeUpstream is the kit's fake answering as the Messages API does,
// in the full event shape Claude Code parses. Usage is Claude Code's first
// turn: $0.02164 on its default model.
func newClaudeUpstream(t *testing.T) *testkit.Upstream {
	use := testkit.Usage{Input: 1200, Output: 42, CacheRead: 5000, CacheWrite: 3000, CacheWrite5m: 3000}
	return testkit.NewUpstream(t, testkit.UpstreamOptions{Usage: use,
		Text: func([]byte) string { return "hi from the fake" }})
}

// claudeUser is a user's machine: a temp HOME with a git project, cco's
// config naming the fake upstream and a free port, and Claude Code on PATH
// as `claude`.
type claudeUser struct {
	env     []string
	home    string // CCO_HOME
	project string // the git work tree's top
	cwd     string // where the user runs cco claude: deep inside it
	url     string // the daemon's
}

func newClaudeUser(t *testing.T, up *testkit.Upstream, config string) *claudeUser {
	t.Helper()
	claude := claudeCode(t)
	port, err := testkit.FreePort()
	require.NoError(t, err)
	env, home := ccoEnv(t)
	root := filepath.Dir(home)
	u := &claudeUser{home: home, project: filepath.Join(root, "work", "my project"), url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	u.cwd = filepath.Join(u.project, "src", "pkg")
	require.NoError(t, os.MkdirAll(u.cwd, 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(u.project, ".git"), 0o755))
	require.NoError(t, os.MkdirAll(home, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, "config.toml"),
		[]byte(fmt.Sprintf("[daemon]\nupstream_url = %q\nport = %d\n%s", up.URL, port, config)), 0o600))
	pathDir := filepath.Join(root, "bin")
	require.NoError(t, os.MkdirAll(pathDir, 0o755))
	require.NoError(t, os.Symlink(claude, filepath.Join(pathDir, "claude")))
	for _, kv := range env {
		if strings.HasPrefix(kv, "ANTHROPIC_") || strings.HasPrefix(kv, "CLAUDE") || strings.HasPrefix(kv, "PATH=") {
			continue
		}
		u.env = append(u.env, kv)
	}
	u.env = append(u.env, "PATH="+pathDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ANTHROPIC_API_KEY="+testAPIKey, "DISABLE_TELEMETRY=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1")
	t.Cleanup(func() { u.stopDaemon(t) })
	return u
}

// run runs cco with args in the user's project, stdin closed.
func (u *claudeUser) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return u.runIn(t, nil, args...)
}

func (u *claudeUser) runIn(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := u.command(stdin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running cco %v: %v", args, err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

func (u *claudeUser) command(stdin io.Reader, args ...string) *exec.Cmd {
	cmd := exec.Command(ccoPath(), args...)
	cmd.Env, cmd.Dir, cmd.Stdin = u.env, u.cwd, stdin
	return cmd
}

// daemonPID is the PID in the daemon's pid file, 0 when there is none.
func (u *claudeUser) daemonPID() int {
	b, err := os.ReadFile(filepath.Join(u.home, "daemon.pid"))
	if err != nil {
		return 0
	}
	var info struct {
		PID int `json:"pid"`
	}
	_ = json.Unmarshal(b, &info)
	return info.PID
}

// stopDaemon stops the daemon cco claude started, by its PID.
func (u *claudeUser) stopDaemon(t *testing.T) {
	pid := u.daemonPID()
	if pid == 0 {
		return
	}
	// os.Process rather than syscall.Kill: this file is vetted for Windows too.
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	_ = p.Signal(syscall.SIGTERM)
	_ = testkit.WaitExit(pid, waitLimit)
	_ = p.Kill()
}

// health is the running daemon's /health.
func (u *claudeUser) health(t *testing.T) map[string]any {
	t.Helper()
	var h map[string]any
	getJSON(t, u.url+"/health", &h)
	return h
}

func (u *claudeUser) groups(t *testing.T, by string) []map[string]any {
	t.Helper()
	out, stderr, code := u.run(t, "stats", "--by", by, "--json")
	require.Equal(t, 0, code, stderr)
	var gs struct{ Groups []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(out), &gs), out)
	return gs.Groups
}

// waitCalls waits until the daemon has recorded n calls.
func (u *claudeUser) waitCalls(t *testing.T, n int) {
	t.Helper()
	require.NoError(t, waitFor("recorded calls", func() (bool, error) {
		code, body, err := httpStatus(u.url + "/api/status")
		if err != nil || code != 200 {
			return false, err
		}
		var st struct{ Analytics struct{ Written float64 } }
		_ = json.Unmarshal([]byte(body), &st)
		return st.Analytics.Written >= float64(n), nil
	}))
}

// TestClaudeCodeThroughCco: with no daemon running, `cco claude -p` starts
// one, Claude Code's answer comes through, and the call is recorded under
// Claude Code's session and the project; the status line then shows the
// session's cost from Claude Code's own JSON.
func TestClaudeCodeThroughCco(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")

	out, stderr, code := u.run(t, "claude", "-p", "say hi")
	require.Equal(t, 0, code, "stdout %q stderr %q", out, stderr)
	assert.Equal(t, "hi from the fake\n", out)
	assert.Empty(t, stderr)
	require.NotZero(t, u.daemonPID(), "cco claude started the daemon")
	assert.Equal(t, "e2e", u.health(t)["version"])

	msgs := up.MessageHeaders()
	require.Len(t, msgs, 1)
	assert.True(t, strings.HasPrefix(msgs[0].Get("User-Agent"), "claude-cli/"+claudeVersion), msgs[0].Get("User-Agent"))
	assert.Empty(t, msgs[0].Get("X-Cco-Project"), "cco's own header stays with cco")
	session := msgs[0].Get("X-Claude-Code-Session-Id")
	require.NotEmpty(t, session)

	u.waitCalls(t, 1)
	sessions := u.groups(t, "session")
	require.Len(t, sessions, 1)
	assert.Equal(t, session, sessions[0]["key"])
	assert.InDelta(t, 0.02164, sessions[0]["cost_usd"], 1e-9, "Claude Code's default model is priced")
	projects := u.groups(t, "project")
	require.Len(t, projects, 1)
	assert.Equal(t, u.project, projects[0]["key"], "the top of the git work tree, spaces and all")
	clients := u.groups(t, "client")
	require.Len(t, clients, 1)
	assert.Equal(t, "claude-cli/"+claudeVersion, clients[0]["key"])

	// The status line, as Claude Code runs it after the turn.
	in := strings.ReplaceAll(statusLineInput, "SESSION", session)
	line, stderr, code := u.runIn(t, strings.NewReader(in), "statusline")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	assert.Equal(t, "$0.02 session · $0.02 today\n", line)

	// Another session's JSON: nothing spent in it yet.
	line, _, _ = u.runIn(t, strings.NewReader(strings.ReplaceAll(statusLineInput, "SESSION", "7f3c9a52-0000-4000-8000-000000000000")), "statusline")
	assert.Equal(t, "$0.00 session · $0.02 today\n", line)

	// Garbage on stdin: a short line without the session, exit 0.
	line, stderr, code = u.runIn(t, strings.NewReader("\x00\xffnot json{{{"), "statusline")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	assert.Equal(t, "$0.02 today\n", line)

	// A second turn in the same project reuses the daemon.
	pid := u.daemonPID()
	_, stderr, code = u.run(t, "claude", "-p", "say hi again")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, pid, u.daemonPID())

	// The daemon down: the line says so at once and never starts it.
	u.stopDaemon(t)
	line, _, code = u.runIn(t, strings.NewReader(in), "statusline")
	assert.Equal(t, 0, code)
	assert.Equal(t, "cco: not running\n", line)
	assert.Zero(t, u.daemonPID(), "the status line does not start the daemon")
}

// statusLineInput is what Claude Code 2.1.332 writes on the status line
// command's stdin after a turn (recorded from it; SESSION is replaced).
const statusLineInput = `{"session_id":"SESSION","transcript_path":"/tmp/h/.claude/projects/-tmp-h-work/SESSION.jsonl","cwd":"/tmp/h/work","prompt_id":"878dab0f-d02a-4e16-895c-fa26719d8e9a","effort":{"level":"medium"},"model":{"id":"claude-opus-5-5","display_name":"Opus 5.5"},"workspace":{"current_dir":"/tmp/h/work","project_dir":"/tmp/h/work","added_dirs":[]},"version":"2.1.332","output_style":{"name":"default"},"cost":{"total_cost_usd":0.02164,"total_duration_ms":6922,"total_api_duration_ms":29,"total_lines_added":0,"total_lines_removed":0},"context_window":{"total_input_tokens":9200,"total_output_tokens":42,"context_window_size":1000000,"current_usage":{"input_tokens":1200,"output_tokens":42,"cache_creation_input_tokens":3000,"cache_read_input_tokens":5000},"used_percentage":1,"remaining_percentage":99},"exceeds_200k_tokens":false,"fast_mode":false,"thinking":{"enabled":true}}`

// TestClaudeCodeExitCodePassesThrough: cco becomes Claude Code, so its
// exit code (an API error's 1, a signal's 143) is the user's.
func TestClaudeCodeExitCodePassesThrough(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")
	up.SetFault("status:403")
	out, _, code := u.run(t, "claude", "-p", "say hi")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "fake upstream says 403")

	up.SetFault("stall")
	cmd := u.command(nil, "claude", "-p", "wait for me")
	var o bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &o
	require.NoError(t, cmd.Start())
	select {
	case <-up.Stalled:
	case <-time.After(waitLimit):
		_ = cmd.Process.Kill()
		t.Fatalf("Claude Code never reached the upstream: %s", o.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM), "the PID cco was started as is Claude Code's now")
	err := cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 143, exit.ExitCode(), o.String())
}

// startOldDaemon builds cco as an older version (0.0.1-old) and starts
// its daemon detached for u, as an upgrade finds it.
func (u *claudeUser) startOldDaemon(t *testing.T) {
	t.Helper()
	old := filepath.Join(t.TempDir(), "cco-old")
	build := exec.Command("go", "build", "-o", old, "-ldflags", "-X main.version=0.0.1-old", "..")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	start := exec.Command(old, "start")
	start.Env, start.Dir = u.env, u.cwd
	outb, err := start.CombinedOutput()
	require.NoError(t, err, "%s", outb)
}

// TestClaudeCodeRestartsAnOldDaemon: an upgrade. A daemon of another cco
// version runs; cco claude restarts it as its own before Claude Code
// starts.
func TestClaudeCodeRestartsAnOldDaemon(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")
	u.startOldDaemon(t)
	oldPID := u.daemonPID()
	require.Equal(t, "0.0.1-old", u.health(t)["version"])

	out, stderr, code := u.run(t, "claude", "-p", "say hi")
	require.Equal(t, 0, code, "stdout %q stderr %q", out, stderr)
	assert.Equal(t, "hi from the fake\n", out)
	assert.Contains(t, stderr, "the running daemon is version 0.0.1-old, this cco is e2e; restarting it")
	assert.Equal(t, "e2e", u.health(t)["version"])
	assert.NotEqual(t, oldPID, u.daemonPID())
	assert.Len(t, up.MessageHeaders(), 1, "the call went through the new daemon")
}

// TestClaudeCodeRunsWithoutCco: the user's work comes first. A daemon that
// cannot start (its port is taken) costs one line on stderr, and Claude
// Code runs directly; an ANTHROPIC_BASE_URL naming another gateway is left
// alone, and said so.
func TestClaudeCodeRunsWithoutCco(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")
	port := strings.TrimPrefix(u.url, "http://127.0.0.1:")
	busy, err := net.Listen("tcp", "127.0.0.1:"+port)
	require.NoError(t, err)
	defer busy.Close()
	u.env = append(u.env, "ANTHROPIC_BASE_URL="+up.URL)

	out, stderr, code := u.run(t, "claude", "-p", "say hi")
	require.Equal(t, 0, code, "stdout %q stderr %q", out, stderr)
	assert.Equal(t, "hi from the fake\n", out)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 1, stderr)
	assert.Contains(t, lines[0], "cco: running Claude Code without cco (no recording, no budgets): listening on 127.0.0.1:"+port+": the address is already in use")
	assert.Contains(t, lines[0], port)
	assert.Len(t, up.MessageHeaders(), 1)

	busy.Close()
	out, stderr, code = u.run(t, "claude", "-p", "say hi")
	require.Equal(t, 0, code, "stdout %q stderr %q", out, stderr)
	assert.Equal(t, "hi from the fake\n", out)
	assert.Contains(t, stderr, "ANTHROPIC_BASE_URL is already set to "+up.URL)
	assert.Contains(t, stderr, "unset it to use cco")
	assert.Len(t, up.MessageHeaders(), 2)
	code2, body, err := httpStatus(u.url + "/api/status")
	require.NoError(t, err)
	require.Equal(t, 200, code2)
	var st struct{ Cache struct{ Hits, Misses int } }
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Zero(t, st.Cache.Hits+st.Cache.Misses, "the call did not go through cco (which counts every Messages call in its cache figures)")
}

// TestClaudeCodeShowsTheBudgetRefusal: past the daily budget Claude Code
// shows cco's message at once, verbatim, after one request.
func TestClaudeCodeShowsTheBudgetRefusal(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "budget_daily_usd = 0.03\n")
	_, stderr, code := u.run(t, "claude", "-p", "first")
	require.Equal(t, 0, code, stderr)
	u.waitCalls(t, 1)
	line, _, _ := u.runIn(t, strings.NewReader(`{"session_id":"x"}`), "statusline")
	assert.Equal(t, "$0.00 session · $0.02 today\n", line, "72 % of the budget: no warning yet")
	_, _, code = u.run(t, "claude", "-p", "second")
	require.Equal(t, 0, code, "72 %: the call goes")

	start := time.Now()
	out, _, code := u.run(t, "claude", "-p", "third")
	elapsed := time.Since(start)
	assert.Equal(t, 1, code)
	assert.Equal(t, "API Error: 402 cco: the daily budget of $0.03 is reached ($0.04 spent today); raise it with 'cco config set budget_daily_usd 0.07 && cco reload', or wait until midnight\n", out)
	assert.Len(t, up.MessageHeaders(), 2, "the refused call never reached the upstream, nor was it retried")
	t.Logf("the refusal took %s", elapsed)

	line, _, _ = u.runIn(t, strings.NewReader(`{"session_id":"x"}`), "statusline")
	assert.Contains(t, line, "⚠ daily budget spent")
}

// TestStatusLineInstallWithClaudeCode: --install keeps the user's other
// settings byte for byte, and Claude Code still takes the file.
func TestStatusLineInstallWithClaudeCode(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")
	settings := filepath.Join(filepath.Dir(u.home), ".claude", "settings.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(settings), 0o700))
	orig := "{\n  \"$schema\": \"https://json.schemastore.org/claude-code-settings.json\",\n  \"env\": {\n    \"MY_VAR\": \"kept\"\n  },\n  \"permissions\": {\n    \"allow\": [\"Bash(git status:*)\"]\n  },\n  \"includeCoAuthoredBy\": false\n}\n"
	require.NoError(t, os.WriteFile(settings, []byte(orig), 0o644))

	out, stderr, code := u.run(t, "statusline", "--install")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, settings)
	got, err := os.ReadFile(settings)
	require.NoError(t, err)
	cut := strings.LastIndex(orig, "\n}")
	assert.Equal(t, orig[:cut], string(got[:cut]), "every byte before the new key is the user's")
	var parsed struct {
		StatusLine struct{ Type, Command string } `json:"statusLine"`
		Env        map[string]string
	}
	require.NoError(t, json.Unmarshal(got, &parsed))
	assert.Equal(t, "command", parsed.StatusLine.Type)
	assert.Equal(t, ccoPath()+" statusline", parsed.StatusLine.Command, "cco is not on PATH here: its full path")

	// Claude Code reads the edited file: MY_VAR reaches its tools' env, and
	// it runs without a settings complaint.
	out, stderr, code = u.run(t, "claude", "-p", "say hi")
	require.Equal(t, 0, code, "stdout %q stderr %q", out, stderr)
	assert.NotContains(t, out+stderr, "settings")

	// The status line command, run as Claude Code runs it (/bin/sh -c).
	sh := exec.Command("/bin/sh", "-c", parsed.StatusLine.Command)
	sh.Env, sh.Stdin = u.env, strings.NewReader(`{"session_id":"s"}`)
	line, err := sh.Output()
	require.NoError(t, err)
	assert.Contains(t, string(line), "today")

	_, stderr, code = u.run(t, "statusline", "--uninstall")
	require.Equal(t, 0, code, stderr)
	got, _ = os.ReadFile(settings)
	assert.Equal(t, orig, string(got))
}

// TestClaudeCodeBehindAProxy: a proxy in the environment never sees the
// calls to the daemon on loopback (it would get the API key in clear
// text, and cannot reach this machine's loopback anyway).
func TestClaudeCodeBehindAProxy(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")
	proxy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer proxy.Close()
	seen := make(chan string, 8)
	go func() {
		for {
			c, err := proxy.Accept()
			if err != nil {
				return
			}
			b := make([]byte, 256)
			n, _ := c.Read(b)
			seen <- string(b[:n])
			c.Close()
		}
	}()
	p := "http://" + proxy.Addr().String()
	u.env = append(u.env, "HTTP_PROXY="+p, "HTTPS_PROXY="+p, "http_proxy="+p, "https_proxy="+p, "NO_PROXY=corp.example")
	out, stderr, code := u.run(t, "claude", "-p", "say hi")
	require.Equal(t, 0, code, "stdout %q stderr %q", out, stderr)
	assert.Equal(t, "hi from the fake\n", out)
	select {
	case got := <-seen:
		t.Fatalf("the proxy received %q", got)
	default:
	}
	assert.Len(t, up.MessageHeaders(), 1)
}

// TestClaudeCodeKeepsABusyOldDaemon: a daemon of another version that is
// answering a call (another session's) is not restarted under it.
func TestClaudeCodeKeepsABusyOldDaemon(t *testing.T) {
	up := newClaudeUpstream(t)
	u := newClaudeUser(t, up, "")
	u.startOldDaemon(t)
	pid := u.daemonPID()

	up.SetFault("stall")
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest(http.MethodPost, u.url+"/v1/messages", strings.NewReader(`{"model":"claude-opus-5-5","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hold"}]}`))
		req.Header.Set("X-Api-Key", testAPIKey)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-up.Stalled:
	case <-time.After(waitLimit):
		t.Fatal("the held call never reached the upstream")
	}
	_, stderr, code := u.run(t, "claude", "--version")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "using the running daemon of version 0.0.1-old (this cco is e2e): it is answering 1 call now")
	assert.Equal(t, pid, u.daemonPID(), "not restarted")
	up.CloseClientConnections()
	<-done
}
