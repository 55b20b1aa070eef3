//go:build linux

package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/internal/testkit"
)

// The trust cases try cco as an attacker (or an accident) would: a pid
// file naming another process, concurrent edits, files that are not what
// they claim, a shared CCO_HOME, a flood of made-up model names.

// bystander is a process the test owns and that no cco command may signal.
// It is never PID 1 or the test's own process.
func bystander(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	return cmd.Process.Pid
}

// forgePidFile rewrites daemon.pid to name pid, keeping everything else.
func (e *relEnv) forgePidFile(pid int) {
	e.t.Helper()
	path := filepath.Join(e.ccoHome, "daemon.pid")
	var info map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		e.t.Fatal(err)
	}
	info["pid"] = pid
	b, _ = json.Marshal(info)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func TestReliabilityPidFileMismatch(t *testing.T) {
	e := newRelEnv(t, "")
	if _, errOut, code := e.cco("start"); code != 0 {
		t.Fatalf("start: exit %d: %s", code, errOut)
	}
	daemon := detachedPID(t, e)
	t.Cleanup(func() { _ = testkit.KillWait(daemon) })
	by := bystander(t)
	e.forgePidFile(by)

	out, errOut, code := e.cco("status")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("pid %d holds the lock", daemon)) || !strings.Contains(out, fmt.Sprintf("daemon.pid names pid %d", by)) {
		t.Errorf("status with a pid file naming a bystander: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = e.cco("stop")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("cco stopped (pid %d)", daemon)) || !strings.Contains(out, fmt.Sprintf("daemon.pid named pid %d, which was not the daemon", by)) {
		t.Errorf("stop with a pid file naming a bystander: exit %d\n%s%s", code, out, errOut)
	}
	if !testkit.Alive(by) {
		t.Fatalf("stop signalled the bystander (pid %d) that daemon.pid named", by)
	}
	if testkit.Alive(daemon) {
		t.Errorf("the daemon (pid %d) still runs after stop said it stopped", daemon)
	}

	// restart takes the same path.
	if _, errOut, code := e.cco("start"); code != 0 {
		t.Fatalf("start: exit %d: %s", code, errOut)
	}
	first := detachedPID(t, e)
	t.Cleanup(func() { _ = testkit.KillWait(first) })
	e.forgePidFile(by)
	out, errOut, code = e.cco("restart")
	second := detachedPID(t, e)
	t.Cleanup(func() { _ = testkit.KillWait(second) })
	if code != 0 || !testkit.Alive(by) || testkit.Alive(first) || !testkit.Alive(second) {
		t.Errorf("restart with a forged pid file: exit %d, bystander gone %t, old daemon gone %t, new daemon running %t\n%s%s",
			code, !testkit.Alive(by), !testkit.Alive(first), testkit.Alive(second), out, errOut)
	}
	if _, _, code := e.cco("stop"); code != 0 {
		t.Fatalf("stop after restart: exit %d", code)
	}

	// The lock held by a process that is not cco's daemon, and a pid
	// file naming the bystander: nobody is signalled, both are named.
	holder := exec.Command("flock", "-x", filepath.Join(e.ccoHome, "daemon.lock"), "sleep", "600")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	holderDone := make(chan struct{})
	go func() { holder.Wait(); close(holderDone) }()
	t.Cleanup(func() { holder.Process.Kill(); <-holderDone })
	if err := waitFor("flock to hold daemon.lock", func() (bool, error) {
		_, _, code := e.cco("status")
		return code == 0, nil
	}); err != nil {
		t.Fatal(err)
	}
	writeRawPidFile(t, e, by)
	out, errOut, refused := e.cco("stop")
	want := []string{fmt.Sprintf("names pid %d", by), fmt.Sprintf("held by pid %d", holder.Process.Pid), "nothing was signalled"}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("stop with the lock held by a stranger: exit %d, stderr %q lacks %q", refused, errOut, w)
		}
	}
	if refused != 1 || !testkit.Alive(by) || !testkit.Alive(holder.Process.Pid) {
		t.Errorf("stop with the lock held by a stranger: exit %d, bystander gone %t, holder gone %t; want exit 1 and both alive", refused, !testkit.Alive(by), !testkit.Alive(holder.Process.Pid))
	}
	out, _, code = e.cco("status")
	if code != 0 || !strings.Contains(out, "not certain") {
		t.Errorf("status with the lock held by a stranger: exit %d\n%s", code, out)
	}
	report(t, "pid-file-mismatch", "daemon.pid naming a bystander: bystander alive, daemon stopped (pid found by the kernel's lock table), restart likewise; lock held by a process that is not cco: stop exit %d naming both pids, nothing signalled", refused)
}

// writeRawPidFile writes a daemon.pid naming pid, as a forger would.
func writeRawPidFile(t *testing.T, e *relEnv, pid int) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"pid": pid, "host": "127.0.0.1", "port": e.port, "exe": ccoPath(), "manager": "detached", "started_at": time.Now().UTC()})
	if err := os.WriteFile(filepath.Join(e.ccoHome, "daemon.pid"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReliabilityConfigConcurrency(t *testing.T) {
	e := newRelEnv(t, "")
	// Only the file may speak: the harness's CCO_PORT and friends would
	// shadow it.
	var env []string
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, "CCO_") || strings.HasPrefix(kv, "CCO_HOME=") {
			env = append(env, kv)
		}
	}
	e.env = env
	// One valid, non-default value for every key, each set by its own
	// process, all at once.
	values := map[string]string{}
	for _, k := range config.Keys {
		values[k.Name] = testValue(k)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	said := 0
	for name, v := range values {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut, code := e.cco("config", "set", name, v)
			mu.Lock()
			defer mu.Unlock()
			if code != 0 {
				t.Errorf("config set %s %s: exit %d %s", name, v, code, errOut)
			} else if strings.Contains(out, "set "+name) {
				said++
			}
		}()
	}
	wg.Wait()
	out, errOut, code := e.cco("config", "show", "--json")
	if code != 0 {
		t.Fatalf("config show: exit %d %s", code, errOut)
	}
	var shown []struct{ Key, Value, Source string }
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, s := range shown {
		if s.Source == "file" {
			kept++
		} else if _, ok := values[s.Key]; ok {
			t.Errorf("%s was lost: its source is %s", s.Key, s.Source)
		}
	}
	report(t, "config-concurrency", "%d of %d concurrent sets of distinct keys kept (%d said \"set\")", kept, len(values), said)
}

// testValue is a valid value for k that is not its default.
func testValue(k config.Key) string {
	switch k.Name {
	case "host":
		return "localhost"
	case "log_level":
		return "debug"
	case "log_format":
		return "json"
	case "database_url":
		return "sqlite://other.db"
	case "upstream_url":
		return "http://127.0.0.1:9"
	case "port":
		return "3999"
	}
	switch k.Default {
	case "true":
		return "false"
	case "false":
		return "true"
	}
	if strings.HasSuffix(k.Default, "iB") {
		return "3MiB"
	}
	if _, err := strconv.Atoi(k.Default); err == nil {
		return "7"
	}
	return k.Default
}

func TestReliabilityHostileConfig(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"fifo", func(t *testing.T, p string) { mustDo(t, syscall.Mkfifo(p, 0o600)) }, "is a named pipe (FIFO)"},
		{"/dev/zero", func(t *testing.T, p string) { mustDo(t, os.Symlink("/dev/zero", p)) }, "is a device"},
		{"1 GiB", func(t *testing.T, p string) {
			f, err := os.Create(p)
			mustDo(t, err)
			mustDo(t, f.Truncate(1<<30))
			f.Close()
		}, "is 1 GiB; the limit is 4 MiB"},
		{"directory", func(t *testing.T, p string) { mustDo(t, os.Mkdir(p, 0o700)) }, "is a directory"},
	}
	refused := 0
	var slowest time.Duration
	for _, c := range cases {
		e := newRelEnv(t, "")
		mustDo(t, os.MkdirAll(e.ccoHome, 0o700))
		path := filepath.Join(e.ccoHome, "config.toml")
		c.make(t, path)
		ok := true
		for _, args := range [][]string{{"config", "show"}, {"start"}, {"daemon", "run"}, {"status"}} {
			t0 := time.Now()
			out, errOut, code := e.cco(args...)
			slowest = max(slowest, time.Since(t0))
			wantCode := 2
			if args[0] == "status" {
				wantCode = 3 // status reports the daemon, not the config
			}
			if code != wantCode || (wantCode == 2 && !strings.Contains(errOut, path+": "+c.want)) {
				ok = false
				t.Errorf("%s: cco %s: exit %d\n%s%s; want %d naming %s and %q", c.name, strings.Join(args, " "), code, out, errOut, wantCode, path, c.want)
			}
		}
		if ok {
			refused++
		}
	}
	report(t, "hostile-config", "fifo, /dev/zero, 1 GiB, directory: %d of %d refused (config show, start and run exit 2 naming the file, status exit 3), slowest answer %s", refused, len(cases), seconds(slowest))
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// TestReliabilityHostileHomeFiles: links and FIFOs where cco keeps its own
// files are refused with the file named, and never followed.
func TestReliabilityHostileHomeFiles(t *testing.T) {
	var lines []string
	for _, name := range []string{"daemon.token", "daemon.log", "daemon.lock"} {
		e := newRelEnv(t, "")
		mustDo(t, os.MkdirAll(e.ccoHome, 0o700))
		target := filepath.Join(e.dir, "planted-"+name)
		planted := strings.Repeat("ab", 32) + "\n"
		mustDo(t, os.WriteFile(target, []byte(planted), 0o644))
		path := filepath.Join(e.ccoHome, name)
		mustDo(t, os.Symlink(target, path))
		_, errOut, code := e.cco("start")
		if code == 0 || !strings.Contains(errOut, path+" is a symbolic link") {
			t.Errorf("start with %s a link: exit %d, stderr %q; want a failure naming the link", name, code, errOut)
		}
		if b, _ := os.ReadFile(target); string(b) != planted {
			t.Errorf("start wrote through the link at %s into %s", name, target)
		}
		if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
			t.Errorf("start chmodded the target of the link at %s", name)
		}
		if _, _, err := httpStatus(e.base + "/health"); err == nil {
			t.Errorf("a daemon started with %s a link", name)
		}
		lines = append(lines, fmt.Sprintf("%s link: start exit %d, target untouched", name, code))
	}
	e := newRelEnv(t, "")
	mustDo(t, os.MkdirAll(e.ccoHome, 0o700))
	mustDo(t, syscall.Mkfifo(filepath.Join(e.ccoHome, "daemon.pid"), 0o600))
	out, errOut, code := e.cco("status")
	if code != 3 || !strings.Contains(out, "removed an unreadable stale pid file") {
		t.Errorf("status with daemon.pid a FIFO: exit %d\n%s%s", code, out, errOut)
	}
	lines = append(lines, fmt.Sprintf("daemon.pid a FIFO: status exit %d, removed", code))
	report(t, "hostile-home-files", "%s", strings.Join(lines, "; "))
}

// TestReliabilitySharedHome: cco never chmods a directory it did not
// create; one others may write is refused with the fix.
func TestReliabilitySharedHome(t *testing.T) {
	e := newRelEnv(t, "")
	mustDo(t, os.MkdirAll(e.ccoHome, 0o700))
	mustDo(t, os.Chmod(e.ccoHome, os.ModeSticky|0o777))
	var codes []string
	for _, args := range [][]string{{"start"}, {"daemon", "run"}, {"config", "set", "port", "4001"}} {
		_, errOut, code := e.cco(args...)
		codes = append(codes, strconv.Itoa(code))
		if code == 0 || !strings.Contains(errOut, "writable by group or others") {
			t.Errorf("cco %s in a 1777 CCO_HOME: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
		}
	}
	fi, _ := os.Stat(e.ccoHome)
	if fi.Mode()&(os.ModeSticky|os.ModePerm) != os.ModeSticky|0o777 {
		t.Errorf("CCO_HOME's mode was changed to %v", fi.Mode())
	}
	entries, _ := os.ReadDir(e.ccoHome)
	if len(entries) != 0 {
		t.Errorf("cco wrote into a CCO_HOME it refused: %v", entries)
	}
	owned := "skipped (needs root)"
	if os.Getuid() == 0 {
		other := newRelEnv(t, "")
		mustDo(t, os.MkdirAll(other.ccoHome, 0o700))
		mustDo(t, os.Chown(other.ccoHome, 65534, 65534))
		_, errOut, code := other.cco("start")
		if code == 0 || !strings.Contains(errOut, "not by you") {
			t.Errorf("start in a CCO_HOME owned by nobody: exit %d, stderr %q", code, errOut)
		}
		owned = fmt.Sprintf("owned by another user: start exit %d", code)
	}
	report(t, "shared-home", "1777 CCO_HOME: start, run, config set exit %s, mode left drwxrwxrwt, nothing written; %s", strings.Join(codes, ","), owned)
}

// TestReliabilityModelNames: made-up model names of any size cannot make
// the daemon keep or serve without bound.
func TestReliabilityModelNames(t *testing.T) {
	e, _ := newFaultyEnv(t)
	d := e.startDaemon()
	huge := strings.Repeat("m", 8<<20)
	for i := range 5 {
		if code, _, _, err := e.message(messageBody(fmt.Sprintf("%d-%s", i, huge), false)); err != nil || code != 200 {
			t.Fatalf("call with an 8 MB model name: %d %v", code, err)
		}
	}
	flood := pick(300, 1000)
	for i := range flood {
		if code, _, _, err := e.message(messageBody(fmt.Sprintf("made-up-%05d", i), false)); err != nil || code != 200 {
			t.Fatalf("flood call: %d %v", code, err)
		}
	}
	waitRecorded(t, e, int64(5+flood))
	_, stats, _ := httpStatus(e.base + "/api/stats")
	_, metrics, _ := httpStatus(e.base + "/metrics")
	var st struct {
		Models []struct{ Model string } `json:"models"`
	}
	mustDo(t, json.Unmarshal([]byte(stats), &st))
	labels := map[string]bool{}
	for _, line := range strings.Split(metrics, "\n") {
		if rest, ok := strings.CutPrefix(line, `cco_tokens_total{model="`); ok {
			labels[rest[:strings.IndexByte(rest, '"')]] = true
		}
	}
	rssMiB := rss(t, d.pid()) >> 20
	if len(stats) > 1<<20 || len(metrics) > 1<<20 || len(st.Models) > 100 || len(labels) > 51 {
		t.Errorf("/api/stats %d bytes with %d models, /metrics %d bytes with %d model labels; want each under 1 MiB, at most 100 models and 51 labels",
			len(stats), len(st.Models), len(metrics), len(labels))
	}
	if bound := rssBoundMiB(256); rssMiB > bound {
		t.Errorf("the daemon's RSS is %d MiB after the model-name flood, bound %d MiB", rssMiB, bound)
	}
	d.stop()
	report(t, "model-names", "5 calls with 8 MB model names and %d made-up ones: /api/stats %d KiB (%d model rows), /metrics %d KiB (%d model labels), RSS %d MiB",
		flood, len(stats)>>10, len(st.Models), len(metrics)>>10, len(labels), rssMiB)
}

// TestReliabilityStartExplains: a daemon that cannot even write its log
// (a full disk before the first start) still tells start why it failed.
func TestReliabilityStartExplains(t *testing.T) {
	e := newRelEnv(t, "")
	mountTmpfs(t, e.ccoHome, "64k")
	fill(t, filepath.Join(e.ccoHome, "filler"))
	_, errOut, code := e.cco("start")
	if code != 1 || !strings.Contains(errOut, "no space left on device") {
		t.Errorf("start on a full disk: exit %d, stderr %q; want 1 and the reason (no space left on device)", code, errOut)
	}
	report(t, "start-explains", "full disk before the first start: start exit %d saying %q", code, firstLine(errOut))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// TestReliabilityDatabasePrivate: the usage database and its journal files
// are private from the first foreground run on.
func TestReliabilityDatabasePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	e, _ := newFaultyEnv(t)
	d := e.startDaemon()
	if served := serveSome(e, 5); served != 5 {
		t.Fatalf("%d of 5 served", served)
	}
	waitRecorded(t, e, 5)
	var modes []string
	for _, f := range []string{"analytics.db", "analytics.db-wal", "analytics.db-shm", "daemon.token", "daemon.log", "daemon.pid", "daemon.lock"} {
		fi, err := os.Stat(filepath.Join(e.ccoHome, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v on a first run; want 0600", f, fi.Mode().Perm())
		}
		modes = append(modes, fmt.Sprintf("%s %o", f, fi.Mode().Perm()))
	}
	d.stop()
	report(t, "db-private", "first foreground run under umask 022: %s", strings.Join(modes, ", "))
}

// TestReliabilityInterrupt: SIGINT and SIGTERM end a CLI verb at once.
func TestReliabilityInterrupt(t *testing.T) {
	e := newRelEnv(t, "")
	d := e.startDaemon()
	var lines []string
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(ccoPath(), "logs", "-f")
		cmd.Env = e.env
		// exec copies the output on a goroutine of its own while the test
		// reads it.
		var out testkit.Buffer
		cmd.Stdout = &out
		mustDo(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if err := waitFor("logs -f to print", func() (bool, error) { return strings.Contains(out.String(), "cco daemon started"), nil }); err != nil {
			cmd.Process.Kill()
			t.Fatal(err)
		}
		t0 := time.Now()
		mustDo(t, cmd.Process.Signal(sig))
		select {
		case <-done:
			lines = append(lines, fmt.Sprintf("logs -f on %v: exited in %s", sig, seconds(time.Since(t0))))
		case <-time.After(waitLimit):
			cmd.Process.Kill()
			t.Fatalf("logs -f did not exit on %v", sig)
		}
	}
	d.stop()
	report(t, "interrupt", "%s", strings.Join(lines, "; "))
}

// rssBoundMiB is a daemon's RSS bound of mib MiB, tripled when the daemon
// runs under the race detector (CCO_E2E_RACE builds it with -race, as make
// unit does alongside go test -race): its instrumentation multiplies
// memory use, and a bound tight enough to catch a leak in a normal build
// would otherwise fail there with no leak at all.
func rssBoundMiB(mib int64) int64 {
	if raceBuild || os.Getenv("CCO_E2E_RACE") != "" {
		return 3 * mib
	}
	return mib
}
