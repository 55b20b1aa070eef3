package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/platform"
	"github.com/anthropics/cco/server"
)

// claudeReadyWait bounds how long cco claude waits for the daemon before
// running Claude Code without it: the user's work comes first.
const claudeReadyWait = 5 * time.Second

const claudeDetails = `Every argument is Claude Code's, --help too; only a leading --claude PATH is cco's.
Claude Code is --claude PATH, else $CCO_CLAUDE, else claude on PATH.

Before Claude Code starts, cco makes sure its daemon runs (through the OS
service when it is installed; restarted when it is another cco version),
sets ANTHROPIC_BASE_URL to it, and adds "x-cco-project: DIR" to
ANTHROPIC_CUSTOM_HEADERS, DIR being the top of the git work tree (else the
current directory), so 'cco stats --by project' can tell projects apart.
If the daemon cannot start within a few seconds Claude Code runs directly,
and an ANTHROPIC_BASE_URL that names something else is left alone.`

// installClaude is what to run when Claude Code is missing.
const installClaude = "npm install -g @anthropic-ai/claude-code"

// bypassEnv tells the status line (which Claude Code runs with its own
// environment) that this session does not go through cco, and why: the
// line on stderr is painted over by Claude Code's full-screen interface.
const bypassEnv = "CCO_BYPASS"

// depthEnv marks a process started by cco claude: a "claude" on PATH that
// is a wrapper calling cco claude again would otherwise loop forever.
const depthEnv = "CCO_CLAUDE_DEPTH"

// cmdClaude runs Claude Code through a ready daemon: it makes sure the
// daemon runs (and is this binary's version), points Claude Code at it,
// tags its calls with the project, and then becomes Claude Code (exec) so
// that its terminal, signals and exit code are its own. Every argument
// but a leading --claude PATH is Claude Code's.
func cmdClaude(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if os.Getenv(depthEnv) != "" {
		return errors.New("the claude that cco claude ran is cco claude again (a wrapper on PATH?); name the real Claude Code with --claude PATH or CCO_CLAUDE")
	}
	bin, rest, err := claudeBinary(args)
	if err != nil {
		return err
	}
	env := setEnv(os.Environ(), depthEnv, "1")
	note, e, err := throughDaemon(ctx, env, stderr)
	if ctx.Err() != nil {
		// Ctrl-C while the daemon started: the user wants out, not
		// Claude Code.
		fmt.Fprintln(stderr, "cco claude: interrupted")
		return errSilent{exitInterrupted}
	}
	if err != nil {
		reason, _, _ := strings.Cut(err.Error(), "\n")
		fmt.Fprintf(stderr, "cco: running Claude Code without cco (no recording, no budgets): %s\n", reason)
		env = setEnv(env, bypassEnv, firstLine(reason))
	} else {
		env = e
		if note != "" {
			fmt.Fprintf(stderr, "cco: %s\n", note)
		}
	}
	code, err := platform.Exec(bin, rest, env)
	if err != nil {
		return fmt.Errorf("running Claude Code (%s): %w", bin, err)
	}
	return errSilent{code}
}

// claudeBinary finds Claude Code: --claude PATH first in args, else
// $CCO_CLAUDE, else claude on PATH.
func claudeBinary(args []string) (string, []string, error) {
	name := os.Getenv("CCO_CLAUDE")
	switch {
	case len(args) > 0 && strings.HasPrefix(args[0], "--claude="):
		name, args = strings.TrimPrefix(args[0], "--claude="), args[1:]
		if name == "" {
			return "", nil, usageError{"--claude= needs the path of Claude Code's executable"}
		}
	case len(args) > 1 && args[0] == "--claude":
		name, args = args[1], args[2:]
	case len(args) == 1 && args[0] == "--claude":
		return "", nil, usageError{"--claude needs the path of Claude Code's executable"}
	}
	if name == "" {
		name = "claude"
	}
	path, err := exec.LookPath(name)
	switch {
	case errors.Is(err, exec.ErrDot):
		return "", nil, fmt.Errorf("%s was found in the current directory through PATH, which cco does not run; name it with --claude ./%s if it is Claude Code", path, name)
	case err != nil:
		return "", nil, fmt.Errorf("Claude Code is not installed here (%s not found); install it with '%s', or name it with --claude PATH or CCO_CLAUDE", name, installClaude)
	}
	return path, args, nil
}

// throughDaemon makes sure the daemon is ready and returns the
// environment that sends Claude Code through it. It leaves an
// ANTHROPIC_BASE_URL that names something else alone (a corporate gateway
// is not silently rerouted), saying so in note.
func throughDaemon(ctx context.Context, env []string, stderr io.Writer) (note string, out []string, err error) {
	// A config file that does not load must not cost the user the
	// daemon that runs: locateConfig still finds it.
	cfg, cfgErr := locateConfig("")
	if cfgErr != nil {
		return "", nil, cfgErr
	}
	ctx, cancel := context.WithTimeout(ctx, claudeReadyWait)
	defer cancel()
	c, err := readyDaemon(ctx, cfg, stderr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return "", nil, fmt.Errorf("the daemon at %s was not ready within %s; see 'cco status' and 'cco logs'", cfg.URL(), claudeReadyWait)
		}
		return "", nil, err
	}
	if cur := lookupEnv(env, "ANTHROPIC_BASE_URL"); cur != "" && !sameDaemon(cur, c.URL()) {
		return fmt.Sprintf("ANTHROPIC_BASE_URL is already set to %s, so Claude Code goes there, not through cco at %s; unset it to use cco", cur, c.URL()), env, nil
	}
	env = setEnv(env, "ANTHROPIC_BASE_URL", c.URL())
	wd, _ := os.Getwd()
	env = setEnv(env, "ANTHROPIC_CUSTOM_HEADERS", withHeader(lookupEnv(env, "ANTHROPIC_CUSTOM_HEADERS"), "x-cco-project", headerValue(projectOf(wd))))
	// A proxy from the environment must never see the calls to the
	// daemon on loopback: it would get the API key in clear text, and
	// could not reach this machine's loopback anyway.
	for _, name := range []string{"NO_PROXY", "no_proxy"} {
		env = setEnv(env, name, noProxy(lookupEnv(env, name), cfg.Host))
	}
	return "", env, nil
}

// noProxy adds the daemon's host and the loopback names to a NO_PROXY list.
func noProxy(list, host string) string {
	have := map[string]bool{}
	var out []string
	for _, h := range strings.Split(list, ",") {
		if h = strings.TrimSpace(h); h != "" && !have[h] {
			have[h] = true
			out = append(out, h)
		}
	}
	for _, h := range []string{host, "127.0.0.1", "localhost", "::1"} {
		if h != "" && !have[h] {
			have[h] = true
			out = append(out, h)
		}
	}
	return strings.Join(out, ",")
}

// sameDaemon reports whether a base URL names the daemon at url, loopback
// names taken as one.
func sameDaemon(base, url string) bool {
	b, err := neturl.Parse(strings.TrimRight(base, "/"))
	d, derr := neturl.Parse(url)
	if err != nil || derr != nil {
		return false
	}
	return loopbackAs(b.Hostname()) == loopbackAs(d.Hostname()) && b.Port() == d.Port() && (b.Path == "" || b.Path == "/")
}

func loopbackAs(h string) string {
	if h == "localhost" || h == "::1" {
		return "127.0.0.1"
	}
	return h
}

// readyDaemon returns a client of a ready daemon: started through the
// service manager when the service is installed, else detached. A daemon
// of another cco version is restarted as this one's only when that takes
// nothing from anyone: no call is in flight through it, and the service
// (if any) runs this very binary; otherwise it is used as it is, with a
// note.
func readyDaemon(ctx context.Context, cfg *config.Config, stderr io.Writer) (*client.Client, error) {
	paths := cfg.Paths()
	if c, info, ok := running(ctx, cfg); ok {
		st, err := c.Status(ctx)
		switch {
		case err != nil:
			return nil, fmt.Errorf("the daemon at %s does not answer: %w", c.URL(), err)
		case st.Version == build.Version:
			return c, nil
		}
		if why := keepOld(cfg, st); why != "" {
			fmt.Fprintf(stderr, "cco: using the running daemon of version %s (this cco is %s): %s\n", st.Version, build.Version, why)
			return c, nil
		}
		fmt.Fprintf(stderr, "cco: the running daemon is version %s, this cco is %s; restarting it\n", st.Version, build.Version)
		// Once the old daemon is stopping, its successor must start
		// whatever the time: a half-done restart leaves no daemon at all.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), upgradeWait)
		defer cancel()
		if err := restartForUpgrade(rctx, cfg, info); err != nil {
			return nil, fmt.Errorf("restarting the daemon of version %s: %w", st.Version, err)
		}
		return readyClient(rctx, paths)
	}
	if m, ok := installedService(cfg.Home); ok {
		if err := m.Start(ctx); err != nil {
			return nil, serviceError(err)
		}
		return readyClient(ctx, paths)
	}
	if err := config.EnsureHome(cfg.Home); err != nil {
		return nil, err
	}
	res, err := detached.Start(ctx, detached.StartOptions{Config: cfg, Wait: claudeReadyWait})
	var se *detached.StartError
	if errors.As(err, &se) {
		return nil, errors.New(se.Reason)
	}
	if err != nil {
		return nil, err
	}
	return client.For(res.Info, paths), nil
}

// upgradeWait bounds a restart for an upgrade: a drain and a start.
const upgradeWait = 30 * time.Second

// keepOld says why a daemon of another version should stay as it is, ""
// when restarting it is safe.
func keepOld(cfg *config.Config, st *server.Status) string {
	if st.InFlight > 0 {
		return fmt.Sprintf("it is answering %s now (another session's?); run 'cco restart' when it is idle to upgrade it", plural(int64(st.InFlight), "call", "calls"))
	}
	if m, ok := installedService(cfg.Home); ok {
		if sst, err := m.Status(context.Background()); err == nil && sst.Exe != "" && !sameExecutable(sst.Exe) {
			return fmt.Sprintf("its service runs %s, not this cco; run 'cco install' to point the service at this one", sst.Exe)
		}
	}
	return ""
}

func sameExecutable(path string) bool {
	self, err := os.Executable()
	return err == nil && sameFile(self, path)
}

// running is a client of the daemon that holds the lock, when one does
// and its pid file is certainly its own (Claude Code is pointed at the
// address in it).
func running(ctx context.Context, cfg *config.Config) (*client.Client, platform.PidInfo, bool) {
	paths := cfg.Paths()
	st, err := detached.Inspect(paths)
	if err != nil || !st.Running || st.Info == nil {
		return nil, platform.PidInfo{}, false
	}
	if d, err := detached.Identify(ctx, paths, st); err != nil || d.PidFileWrong {
		return nil, platform.PidInfo{}, false
	}
	return client.For(*st.Info, paths), *st.Info, true
}

func readyClient(ctx context.Context, paths config.Paths) (*client.Client, error) {
	info, err := detached.WaitReady(ctx, paths, claudeReadyWait, nil)
	if err != nil {
		return nil, err
	}
	return client.For(info, paths), nil
}

// restartForUpgrade restarts the daemon the way it runs: through its
// service manager, or detached with the flags it had.
func restartForUpgrade(ctx context.Context, cfg *config.Config, info platform.PidInfo) error {
	if m, ok := installedService(cfg.Home); ok {
		return m.Restart(ctx)
	}
	// The flags it ran with, as cco restart reuses them, checked before
	// anything is stopped.
	f := addStartFlags(newFlags("restart", io.Discard))
	if err := f.fs.parse(info.Args); err != nil {
		return fmt.Errorf("its flags %v cannot be reused (%w); run 'cco restart' with the flags to use", info.Args, err)
	}
	o, _, err := f.options(io.Discard)
	if err != nil {
		return err
	}
	o.Wait = claudeReadyWait
	if _, err := detached.Stop(ctx, cfg.Paths(), defaultStopTimeout, nil); err != nil {
		return err
	}
	_, err = detached.Start(ctx, o)
	return err
}

// projectOf is the project a directory belongs to: the top of its git work
// tree (a .git directory, or a .git file in a worktree), else the
// directory itself.
func projectOf(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// headerValue percent-encodes what Claude Code could not send as it is:
// it sends U+0080 to U+00FF as single Latin-1 bytes and refuses to start
// on anything above, or on control characters.
func headerValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '%' {
			b.WriteString(neturl.PathEscape(string(r)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// withHeader adds (or replaces) one "Name: Value" line in an
// ANTHROPIC_CUSTOM_HEADERS value, keeping the user's other headers.
func withHeader(headers, name, value string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(headers, "\r\n", "\n"), "\n") {
		n, _, _ := strings.Cut(l, ":")
		if strings.TrimSpace(l) == "" || strings.EqualFold(strings.TrimSpace(n), name) {
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(append(lines, name+": "+value), "\n")
}

func lookupEnv(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if n, v, ok := strings.Cut(env[i], "="); ok && envName(n, name) {
			return v
		}
	}
	return ""
}

func setEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if n, _, _ := strings.Cut(kv, "="); !envName(n, name) {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// envName compares variable names as the OS does: Windows ignores case.
func envName(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}
