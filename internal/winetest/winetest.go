// Package winetest runs cco's Windows binaries under Wine, the only Windows
// the project's machines have: a Wine prefix made once and kept (warm runs
// skip wineboot), the bcryptprimitives.dll shim that Go binaries need
// under Wine 8 built from the C source beside this file, and the Windows
// test binaries of cco's packages run with their results read through
// test2json. See the README's Windows section for what this verifies.
package winetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Tools are what a Wine run needs; Missing says which are not installed.
var Tools = []string{"wine", "wineserver", "x86_64-w64-mingw32-gcc"}

// Missing lists the tools of Tools that are not on PATH.
func Missing() []string {
	var miss []string
	for _, t := range Tools {
		if _, err := exec.LookPath(t); err != nil {
			miss = append(miss, t)
		}
	}
	return miss
}

// Prefix is a Wine prefix ready to run Go binaries.
type Prefix struct {
	Dir string // WINEPREFIX
	Tmp string // TMP and TEMP of the Windows processes (see Env)
}

// Open makes (or reuses) the prefix dir/prefix and installs the shim built
// from srcDir (this package's shim directory) into it. It reports what it
// did in one line: cold (wineboot ran) or warm.
func Open(ctx context.Context, dir, srcDir string) (*Prefix, string, error) {
	p := &Prefix{Dir: filepath.Join(dir, "prefix"), Tmp: filepath.Join(dir, "tmp")}
	ready := filepath.Join(p.Dir, ".cco-ready")
	what := "warm prefix " + p.Dir
	if _, err := os.Stat(ready); err != nil {
		// A prefix without the marker is a wineboot that did not finish:
		// start again from nothing.
		if err := os.RemoveAll(p.Dir); err != nil {
			return nil, "", fmt.Errorf("removing the unfinished prefix: %w", err)
		}
		if err := os.MkdirAll(p.Dir, 0o755); err != nil {
			return nil, "", err
		}
		start := time.Now()
		if out, err := p.command(ctx, "wine", "wineboot", "--init").CombinedOutput(); err != nil {
			return nil, "", fmt.Errorf("wineboot --init: %w: %s", err, lastLines(out, 5))
		}
		// wineboot returns before the prefix's wineserver has written
		// everything; waiting for it makes the prefix complete.
		_ = p.command(ctx, "wineserver", "-w").Run()
		what = fmt.Sprintf("cold prefix %s (wineboot %.1fs)", p.Dir, time.Since(start).Seconds())
	}
	dll, built, err := buildShim(ctx, dir, srcDir)
	if err != nil {
		return nil, "", err
	}
	if built {
		what += ", shim built"
	}
	data, err := os.ReadFile(dll)
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(filepath.Join(p.Dir, "drive_c", "windows", "system32", "bcryptprimitives.dll"), data, 0o644); err != nil {
		return nil, "", fmt.Errorf("installing the shim: %w", err)
	}
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		return nil, "", err
	}
	// The test binaries' temporary directories: Wine 8 cannot delete them
	// (see Result), so they go here, emptied from Linux on every run.
	if err := os.RemoveAll(p.Tmp); err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(p.Tmp, 0o755); err != nil {
		return nil, "", err
	}
	return p, what, nil
}

// buildShim compiles the shim into dir unless the DLL there was built from
// the same source (its hash is kept beside it).
func buildShim(ctx context.Context, dir, srcDir string) (string, bool, error) {
	src := filepath.Join(srcDir, "bcryptprimitives.c")
	def := filepath.Join(srcDir, "bcryptprimitives.def")
	h := sha256.New()
	for _, f := range []string{src, def} {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", false, fmt.Errorf("reading the shim's source: %w", err)
		}
		h.Write(b)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dll := filepath.Join(dir, "bcryptprimitives.dll")
	stamp := dll + ".sha256"
	if b, err := os.ReadFile(stamp); err == nil && string(b) == sum {
		if _, err := os.Stat(dll); err == nil {
			return dll, false, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	cmd := exec.CommandContext(ctx, "x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", dll, src, def, "-lbcrypt")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", false, fmt.Errorf("building the shim: %w: %s", err, lastLines(out, 10))
	}
	return dll, true, os.WriteFile(stamp, []byte(sum), 0o644)
}

// Env is the environment of a Windows process under this prefix: no
// display (headless), no Wine debug noise, and TMP/TEMP in p.Tmp.
func (p *Prefix) Env(extra ...string) []string {
	env := []string{"WINEPREFIX=" + p.Dir, "WINEDEBUG=-all", "DISPLAY=", "WAYLAND_DISPLAY=", "WINEDLLOVERRIDES=mscoree,mshtml=",
		"TMP=" + WinPath(p.Tmp), "TEMP=" + WinPath(p.Tmp)}
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		switch k {
		case "WINEPREFIX", "WINEDEBUG", "DISPLAY", "WAYLAND_DISPLAY", "TMP", "TEMP", "WINEDLLOVERRIDES":
			continue
		}
		env = append(env, e)
	}
	return append(env, extra...)
}

func (p *Prefix) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.Env()
	return cmd
}

// Command runs a Windows executable under Wine.
func (p *Prefix) Command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = p.Env()
	// Ended by PID (the test's own process), never by name.
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Close ends the prefix's wineserver and every process still in it.
func (p *Prefix) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.command(ctx, "wineserver", "-k").Run()
}

// WinPath is a Linux path as Windows processes under Wine see it (drive Z:
// is the root of the Linux file system in every prefix).
func WinPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// ErrNoWine is wrapped by the error that says which tools are missing.
var ErrNoWine = errors.New("wine is not installed")

// Check says why Wine runs cannot happen here, or nil.
func Check() error {
	if m := Missing(); len(m) > 0 {
		return fmt.Errorf("%w: %s not on PATH (as root on Debian: apt-get install wine wine64 gcc-mingw-w64-x86-64-win32)", ErrNoWine, strings.Join(m, ", "))
	}
	return nil
}
