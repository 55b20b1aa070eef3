package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// benchStatusline times `cco statusline`, which Claude Code runs after
// every turn, against `cco version` (a process that does nothing): the
// daemon runs with 100 000 recorded calls and the line is asked for one
// of their sessions.
func benchStatusline(b *bench) error {
	e, n, err := b.filledEnv("statusline", 100_000, 5_000)
	if err != nil {
		return err
	}
	if err := e.start(); err != nil {
		return err
	}
	defer e.run("stop")
	input := fmt.Sprintf(`{"session_id":%q,"model":{"id":"claude-opus-5-5"},"version":"2.1.332"}`, sessionID(sessionsIn(n)-1))
	var line string
	statusline := func() (float64, error) {
		return timed(func() error {
			c := e.command("statusline")
			c.Stdin = strings.NewReader(input)
			out, err := c.Output()
			line = string(out)
			if err == nil && !strings.Contains(line, "session") {
				err = fmt.Errorf("cco statusline printed %q", line)
			}
			return err
		})
	}
	version := func() (float64, error) {
		return timed(func() error { return e.command("version").Run() })
	}
	s, base, err := interleave(b.runs*3, statusline, version)
	if err != nil {
		return err
	}
	r := newRow("cco statusline (daemon running)", "ms", s, "≤ 3 × cco version").withBaseline("cco version", base)
	r.Note = fmt.Sprintf("%d calls recorded; the line: %s", n, strings.TrimSpace(line))
	b.add(r)
	return nil
}

// benchClaude times `cco claude --version` with the daemon running against
// `claude --version`: what cco adds before Claude Code starts.
func benchClaude(b *bench) error {
	claude := findClaude()
	if claude == "" {
		b.add(row{Figure: "cco claude --version (daemon running)", Unit: "ms", Target: "≤ claude --version + 30 ms",
			Note: "Claude Code is not installed: set CCO_BENCH_CLAUDE (make bench installs it)"})
		return nil
	}
	e, err := newEnv(b.root, b.cco, "claude")
	if err != nil {
		return err
	}
	if err := e.start(); err != nil {
		return err
	}
	defer e.run("stop")
	through := func() (float64, error) {
		return timed(func() error {
			out, err := e.command("claude", "--claude", claude, "--version").CombinedOutput()
			if err == nil && !strings.Contains(string(out), "Claude Code") {
				err = fmt.Errorf("cco claude --version printed %q", out)
			}
			return err
		})
	}
	direct := func() (float64, error) {
		return timed(func() error { return exec.Command(claude, "--version").Run() })
	}
	s, base, err := interleave(b.runs*3, through, direct)
	if err != nil {
		return err
	}
	r := newRow("cco claude --version (daemon running)", "ms", s, "≤ claude --version + 30 ms").withBaseline("claude --version", base)
	r.Note = fmt.Sprintf("cco adds %s ms (median)", f(s.median()-base.median()))
	b.add(r)
	return nil
}

// findClaude is the Claude Code to measure: $CCO_BENCH_CLAUDE, else
// claude on PATH.
func findClaude() string {
	if p := os.Getenv("CCO_BENCH_CLAUDE"); p != "" {
		return p
	}
	p, _ := exec.LookPath("claude")
	return p
}
