//go:build wine

package wine

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/wait"
	"github.com/anthropics/cco/internal/winetest"
)

// say prints one line of the run's report, on stdout so that it shows
// without -v.
func say(format string, args ...any) { fmt.Printf("wine-smoke: "+format+"\n", args...) }

// packages are the packages whose Windows tests run under Wine, each with
// the tests Wine cannot run and why.
var packages = []struct {
	dir  string
	skip []winetest.NotUnderWine
}{
	{dir: "."}, // the run loop (program_test.go)
	{dir: "platform"},
	{dir: "config"},
	{dir: "client"},
	{dir: "detached"},
	{dir: "internal/wait"},
	{dir: "internal/jsonedit"},
	{dir: "server/prices"},
	{dir: "server/analytics"},
	{dir: "server", skip: []winetest.NotUnderWine{
		{Test: "TestBrokenDatabaseIsFatalAfterThreeChecks", Reason: "it deletes the database while SQLite holds it open, which Windows refuses (sharing violation)"},
	}},
	{dir: "cli", skip: []winetest.NotUnderWine{
		{Test: "TestClaudeBinary", Reason: "its fake claude is a shell script with no .exe, which Windows neither finds nor runs"},
		{Test: "TestStatusLineInstall", Reason: "it asserts the Unix mode (0640) kept on Claude Code's settings; Windows has no Unix modes"},
		{Test: "TestStatusLineInstallCreatesAndFollowsLinks", Reason: "it checks that a symbolic link to the settings stays a link; Wine 8 does not report it as one afterwards (not checked on Windows itself)"},
		{Test: "TestStatusLineInstallKeepsWhatIsNotCcos", Reason: "the same symbolic-link check as above"},
	}},
}

// notRun are the packages whose Windows tests are not run under Wine.
var notRun = map[string]string{
	"server/team":      "its tests need a private PostgreSQL (Linux initdb), which Wine cannot start",
	"server/dashboard": "no Windows-specific code; its tests are page-content checks run on Linux",
	"internal/testkit": "Linux helpers for the end-to-end tests",
	"test":             "the end-to-end tests drive systemd, Chromium, PostgreSQL and Claude Code on Linux",
	"bench":            "benchmarks against Linux baselines",
}

func repoRoot(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWineSmoke(t *testing.T) {
	if err := winetest.Check(); err != nil {
		if os.Getenv("WINE_SMOKE_REQUIRE") == "1" {
			t.Fatalf("WINE_SMOKE_REQUIRE=1 and %v", err)
		}
		say("skipped: %v", err)
		t.Skip(err)
	}
	root := repoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	total := time.Now()

	start := time.Now()
	p, what, err := winetest.Open(ctx, filepath.Join(root, "bin", "wine"), filepath.Join(root, "internal", "winetest", "shim"))
	if err != nil {
		t.Fatalf("wine prefix: %v", err)
	}
	// wineserver -k ends every process left in the prefix; it fails only
	// when no wineserver runs any more, which is fine.
	defer func() { _ = p.Close() }()
	say("prefix: %s; ready in %.1fs", what, time.Since(start).Seconds())

	exe := os.Getenv("CCO_WINE_EXE")
	if exe == "" {
		exe = filepath.Join(root, "bin", "cco-windows-amd64.exe")
		goBuild(t, ctx, root, exe, ".")
	}

	t.Run("lifecycle", func(t *testing.T) { lifecycle(t, ctx, p, exe) })
	t.Run("unit", func(t *testing.T) { unitTests(t, ctx, p, root) })
	say("done in %.1fs", time.Since(total).Seconds())
}

func goBuild(t *testing.T, ctx context.Context, root, out, pkg string, test ...bool) {
	t.Helper()
	args := []string{"build", "-o", out, pkg}
	if len(test) > 0 {
		args = []string{"test", "-c", "-o", out, pkg}
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

// cco is the Windows binary with its own home, as the Windows process sees
// it (USERPROFILE, APPDATA, LOCALAPPDATA) and as cco does (CCO_HOME).
type cco struct {
	p    *winetest.Prefix
	exe  string
	env  []string
	home string
}

func newCCO(t *testing.T, p *winetest.Prefix, exe string) *cco {
	home := t.TempDir()
	env := []string{"HOME=" + home, "CCO_HOME=" + winetest.WinPath(filepath.Join(home, "cco")),
		"USERPROFILE=" + winetest.WinPath(home), "APPDATA=" + winetest.WinPath(filepath.Join(home, "AppData", "Roaming")),
		"LOCALAPPDATA=" + winetest.WinPath(filepath.Join(home, "AppData", "Local"))}
	for _, k := range []string{"CCO_PORT", "CCO_HOST", "CCO_MANAGER", "CCO_CONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} {
		env = append(env, k+"=")
	}
	return &cco{p: p, exe: exe, env: env, home: home}
}

func (c *cco) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := c.p.Command(ctx, c.exe, args...)
	cmd.Env = append(cmd.Env, c.env...)
	return cmd
}

// run runs a verb to its end: its output, exit code and time.
func (c *cco) run(t *testing.T, ctx context.Context, args ...string) (string, int, time.Duration) {
	t.Helper()
	// No verb takes long: one that hangs fails the test instead of
	// holding it until the overall timeout.
	ctx, cancel := context.WithTimeout(ctx, verbTimeout)
	defer cancel()
	// Output to a file, not a pipe: under Wine a process started from
	// this one (start's detached daemon) inherits the Unix stdout and
	// stderr too, and a pipe would stay open for as long as it runs.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := c.cmd(ctx, args...)
	cmd.Stdout, cmd.Stderr = f, f
	start := time.Now()
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("cco %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), code, time.Since(start)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func healthy(port int) func() (bool, error) {
	return func() (bool, error) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true, nil
		}
		return false, fmt.Errorf("status %d", resp.StatusCode)
	}
}

func portClosed(port int) func() (bool, error) {
	return func() (bool, error) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return true, nil
		}
		c.Close()
		return false, nil
	}
}

// verbTimeout bounds each verb run to its end.
const verbTimeout = 60 * time.Second

// stopTimeout is cco stop's default: a clean stop must finish well inside.
const stopTimeout = 10 * time.Second

func lifecycle(t *testing.T, ctx context.Context, p *winetest.Prefix, exe string) {
	c := newCCO(t, p, exe)

	out, code, d := c.run(t, ctx, "version")
	if code != 0 || !strings.Contains(out, "windows/amd64") {
		t.Fatalf("version: exit %d: %s", code, out)
	}
	say("version: %s (exit 0, %.1fs)", strings.Join(strings.Fields(out), " "), d.Seconds())

	// Foreground: the daemon is this test's child, ended by its PID if the
	// test fails.
	port := freePort(t)
	daemon := c.cmd(ctx, "daemon", "run", "--port", fmt.Sprint(port))
	var log strings.Builder
	daemon.Stdout, daemon.Stderr = &log, &log
	start := time.Now()
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	done := make(chan struct{})
	go func() { exited <- daemon.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			_ = daemon.Process.Kill()
			<-done
		}
	}()
	if err := wait.Until(ctx, 50*time.Millisecond, 60*time.Second, healthy(port)); err != nil {
		t.Fatalf("daemon run --port %d: no /health: %v\n%s", port, err, log.String())
	}
	say("daemon run --port %d: /health answered after %.1fs", port, time.Since(start).Seconds())
	status(t, ctx, c, port)
	stop(t, ctx, c, port)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon run ended with %v (a requested stop must exit 0)\n%s", err, log.String())
		}
		say("daemon run: exit 0 after the stop")
	case <-time.After(stopTimeout):
		t.Fatalf("daemon run still running %s after stop said it stopped\n%s", stopTimeout, log.String())
	}

	// Detached.
	port = freePort(t)
	out, code, d = c.run(t, ctx, "start", "--port", fmt.Sprint(port))
	if code != 0 || !strings.Contains(out, "cco started") {
		t.Fatalf("start: exit %d: %s", code, out)
	}
	say("start --port %d (detached): exit 0 in %.1fs: %s", port, d.Seconds(), strings.TrimSpace(out))
	defer func() {
		// Whatever happened, no daemon outlives the test: stop asks it by
		// its PID (from daemon.pid), and wineserver -k ends the rest.
		if ok, _ := portClosed(port)(); !ok {
			_, _, _ = c.run(t, context.Background(), "stop", "--timeout", "5s")
		}
	}()
	status(t, ctx, c, port)
	stop(t, ctx, c, port)

	// Concurrent stops: each either stops the daemon or finds it gone;
	// none kills a daemon another has asked to stop.
	port = freePort(t)
	if out, code, _ = c.run(t, ctx, "start", "--port", fmt.Sprint(port)); code != 0 {
		t.Fatalf("start: exit %d: %s", code, out)
	}
	concurrentStops(t, ctx, c, port, 3)
}

// concurrentStops runs n stops at once against the running daemon.
func concurrentStops(t *testing.T, ctx context.Context, c *cco, port, n int) {
	t.Helper()
	type result struct {
		out  string
		code int
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range results {
		wg.Go(func() {
			out, code, _ := c.run(t, ctx, "stop")
			results[i] = result{out, code}
		})
	}
	wg.Wait()
	stopped := 0
	for i, r := range results {
		switch {
		case r.code != 0 || strings.Contains(r.out, "kill"):
			t.Errorf("concurrent stop %d: exit %d: %s", i, r.code, r.out)
		case strings.Contains(r.out, "exited cleanly"):
			stopped++
		case strings.TrimSpace(r.out) != "cco is not running":
			t.Errorf("concurrent stop %d said %q", i, r.out)
		}
	}
	if stopped == 0 {
		t.Errorf("none of %d concurrent stops stopped the running daemon", n)
	}
	if err := wait.Until(ctx, 50*time.Millisecond, 10*time.Second, portClosed(port)); err != nil {
		t.Fatalf("port %d still open after %d stops: %v", port, n, err)
	}
	say("%d concurrent stops: all exit 0 in %.1fs, %d said stopped, the rest not running, none killed", n, time.Since(start).Seconds(), stopped)
}

func status(t *testing.T, ctx context.Context, c *cco, port int) {
	t.Helper()
	out, code, d := c.run(t, ctx, "status")
	if code != 0 || !strings.Contains(out, "cco is running") || !strings.Contains(out, fmt.Sprintf(":%d", port)) {
		t.Fatalf("status: exit %d: %s", code, out)
	}
	first, _, _ := strings.Cut(out, "\n")
	say("status: exit 0 in %.1fs: %s", d.Seconds(), first)
}

func stop(t *testing.T, ctx context.Context, c *cco, port int) {
	t.Helper()
	out, code, d := c.run(t, ctx, "stop")
	if code != 0 || !strings.Contains(out, "exited cleanly") || strings.Contains(out, "kill") {
		t.Fatalf("stop: exit %d in %s: %s", code, d, out)
	}
	if d > stopTimeout/2 {
		t.Fatalf("stop took %s, not well inside its %s timeout: %s", d, stopTimeout, out)
	}
	if err := wait.Until(ctx, 50*time.Millisecond, 10*time.Second, portClosed(port)); err != nil {
		t.Fatalf("port %d still open after stop: %v", port, err)
	}
	say("stop: exit 0 in %.1fs, no kill: %s", d.Seconds(), strings.TrimSpace(out))
}

func unitTests(t *testing.T, ctx context.Context, p *winetest.Prefix, root string) {
	dir := filepath.Join(root, "bin", "wine", "tests")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range packages {
		name := strings.ReplaceAll(pkg.dir, "/", "_")
		if pkg.dir == "." {
			name = "cco"
		}
		exe := filepath.Join(dir, name+".test.exe")
		goBuild(t, ctx, root, exe, "./"+pkg.dir, true)
		res, err := p.RunTests(ctx, filepath.Join(root, pkg.dir), exe, pkg.skip)
		if err != nil {
			t.Errorf("unit %s: %v", pkg.dir, err)
			continue
		}
		line := fmt.Sprintf("unit %s: %d passed", pkg.dir, res.Passed)
		if res.Cleanup > 0 {
			line += fmt.Sprintf(" (%d of them with only Wine's TempDir cleanup failing)", res.Cleanup)
		}
		line += fmt.Sprintf(", %d failed, %d skipped in %.1fs", len(res.Failed), len(res.Skipped), res.Duration.Seconds())
		say("%s", line)
		for _, name := range slices.Sorted(maps.Keys(res.Skipped)) {
			say("  skip %s %s: %s", pkg.dir, name, res.Skipped[name])
		}
		for _, name := range slices.Sorted(maps.Keys(res.Failed)) {
			t.Errorf("unit %s: %s failed under Wine:\n%s", pkg.dir, name, res.Failed[name])
		}
	}
	for _, pkg := range slices.Sorted(maps.Keys(notRun)) {
		say("unit %s: not run under Wine: %s", pkg, notRun[pkg])
	}
}
