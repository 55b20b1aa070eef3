package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/detached"
	"github.com/anthropics/cco/platform"
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

// cmdClaude runs Claude Code through a ready daemon: it makes sure the
// daemon runs (and is this binary's version), points Claude Code at it,
// tags its calls with the project, and then becomes Claude Code (exec) so
// that its terminal, signals and exit code are its own. Every argument
// but a leading --claude PATH is Claude Code's.
func cmdClaude(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	bin, rest, err := claudeBinary(args)
	if err != nil {
		return err
	}
	env := os.Environ()
	note, e, err := throughDaemon(ctx, env, stderr)
	if ctx.Err() != nil {
		// Ctrl-C while the daemon started: the user wants out, not
		// Claude Code.
		fmt.Fprintln(stderr, "cco claude: interrupted")
		return errSilent{exitInterrupted}
	}
	if err != nil {
		fmt.Fprintf(stderr, "cco: running Claude Code without cco: %v\n", err)
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
	case len(args) > 1 && args[0] == "--claude":
		name, args = args[1], args[2:]
	case len(args) == 1 && args[0] == "--claude":
		return "", nil, usageError{"--claude needs the path of Claude Code's executable"}
	}
	if name == "" {
		name = "claude"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", nil, fmt.Errorf("Claude Code is not installed here (%s not found); install it with '%s', or name it with --claude PATH or CCO_CLAUDE", name, installClaude)
	}
	return path, args, nil
}

// throughDaemon makes sure the daemon is ready and returns the
// environment that sends Claude Code through it. It leaves an
// ANTHROPIC_BASE_URL that names something else alone (a corporate gateway
// is not silently rerouted), saying so in note.
func throughDaemon(ctx context.Context, env []string, stderr io.Writer) (note string, out []string, err error) {
	cfg, err := loadConfig("", nil)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, claudeReadyWait+time.Second)
	defer cancel()
	c, err := readyDaemon(ctx, cfg, stderr)
	if err != nil {
		return "", nil, err
	}
	if cur := lookupEnv(env, "ANTHROPIC_BASE_URL"); cur != "" && strings.TrimRight(cur, "/") != c.URL() {
		return fmt.Sprintf("ANTHROPIC_BASE_URL is already set to %s, so Claude Code goes there, not through cco at %s; unset it to use cco", cur, c.URL()), env, nil
	}
	env = setEnv(env, "ANTHROPIC_BASE_URL", c.URL())
	wd, _ := os.Getwd()
	env = setEnv(env, "ANTHROPIC_CUSTOM_HEADERS", withHeader(lookupEnv(env, "ANTHROPIC_CUSTOM_HEADERS"), "x-cco-project", headerValue(projectOf(wd))))
	return "", env, nil
}

// readyDaemon returns a client of a ready daemon of this binary's version:
// started through the service manager when the service is installed, else
// detached; restarted when an older (or newer) cco runs.
func readyDaemon(ctx context.Context, cfg *config.Config, stderr io.Writer) (*client.Client, error) {
	paths := cfg.Paths()
	if c, ok := running(ctx, cfg); ok {
		h, err := c.Health(ctx)
		if err == nil && h.Version == build.Version {
			return c, nil
		}
		if err == nil {
			fmt.Fprintf(stderr, "cco: the running daemon is version %s, this cco is %s; restarting it\n", h.Version, build.Version)
			if err := restartForUpgrade(ctx, cfg); err != nil {
				return nil, fmt.Errorf("restarting the daemon of version %s: %w", h.Version, err)
			}
			return readyClient(ctx, paths)
		}
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

// running is a client of the daemon that holds the lock, when one does
// and its pid file is certainly its own (Claude Code is pointed at the
// address in it).
func running(ctx context.Context, cfg *config.Config) (*client.Client, bool) {
	paths := cfg.Paths()
	st, err := detached.Inspect(paths)
	if err != nil || !st.Running || st.Info == nil {
		return nil, false
	}
	if d, err := detached.Identify(ctx, paths, st); err != nil || d.PidFileWrong {
		return nil, false
	}
	return client.For(*st.Info, paths), true
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
func restartForUpgrade(ctx context.Context, cfg *config.Config) error {
	if m, ok := installedService(cfg.Home); ok {
		return m.Restart(ctx)
	}
	paths := cfg.Paths()
	if _, err := detached.Stop(ctx, paths, defaultStopTimeout, nil); err != nil {
		return err
	}
	_, err := detached.Start(ctx, detached.StartOptions{Config: cfg, Wait: claudeReadyWait})
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
			b.WriteString(url.PathEscape(string(r)))
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
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

func setEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}
