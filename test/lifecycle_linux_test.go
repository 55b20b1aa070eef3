//go:build linux

package test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

// ccoHome is a fresh HOME and CCO_HOME for a test; every daemon started
// with it is killed by PID when the test ends.
func ccoHome(t *testing.T) (home string, env []string) {
	t.Helper()
	dir := t.TempDir()
	home = filepath.Join(dir, ".cco")
	t.Cleanup(func() { killDaemons(home) })
	env = append(os.Environ(), "HOME="+dir, "CCO_HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"))
	return home, env
}

func cco(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(ccoPath(), args...)
	cmd.Env = env
	return cmd
}

func TestConcurrentStartsMakeOneDaemon(t *testing.T) {
	home, env := ccoHome(t)
	port, err := testkit.FreePort()
	require.NoError(t, err)

	const n = 20
	type result struct {
		out, err string
		code     int
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, e, c := runCco(t, env, "start", "--port", fmt.Sprint(port))
			results[i] = result{o, e, c}
		})
	}
	wg.Wait()

	pids := daemonPIDs(home)
	require.Len(t, pids, 1, "exactly one daemon process")
	pid, err := pidFromFile(filepath.Join(home, "daemon.pid"))
	require.NoError(t, err)
	assert.Equal(t, pids[0], pid, "the pid file names the daemon")
	pidFiles, _ := filepath.Glob(filepath.Join(home, "*.pid*"))
	assert.Len(t, pidFiles, 1, "one pid file and no temporary ones: %v", pidFiles)

	started := 0
	already := regexp.MustCompile(fmt.Sprintf(`^cco is already running \(pid %d, http://127.0.0.1:%d\)\n$`, pid, port))
	for i, r := range results {
		assert.Equal(t, 0, r.code, "start %d exit code; stderr: %s", i, r.err)
		switch {
		case strings.HasPrefix(r.out, fmt.Sprintf("cco started: http://127.0.0.1:%d (pid %d,", port, pid)):
			started++
		case already.MatchString(r.out):
		default:
			t.Errorf("start %d said %q (stderr %q)", i, r.out, r.err)
		}
	}
	assert.Equal(t, 1, started, "exactly one start started the daemon")
	logData, _ := os.ReadFile(filepath.Join(home, "daemon.log"))
	t.Logf("%d spawned daemons lost the race for the lock", bytes.Count(logData, []byte("cco run: already running")))

	// Concurrent stops: all succeed, none needs SIGKILL.
	stops := make([]result, 5)
	for i := range stops {
		wg.Go(func() {
			o, e, c := runCco(t, env, "stop")
			stops[i] = result{o, e, c}
		})
	}
	wg.Wait()
	clean := regexp.MustCompile(fmt.Sprintf(`^cco stopped \(pid %d\): exited cleanly on SIGTERM in [0-9.]+s\n$`, pid))
	for i, r := range stops {
		assert.Equal(t, 0, r.code, "stop %d exit code; stderr: %s", i, r.err)
		assert.True(t, clean.MatchString(r.out) || r.out == "cco is not running\n", "stop %d said %q", i, r.out)
	}
	assert.Empty(t, daemonPIDs(home))
	assert.NoFileExists(t, filepath.Join(home, "daemon.pid"))
}

// sparseFS reports whether dir's file system makes sparse files, so a
// huge hole costs no disk (on others it would be written out).
func sparseFS(dir string) bool {
	var fs syscall.Statfs_t
	if syscall.Statfs(dir, &fs) != nil {
		return false
	}
	switch fs.Type {
	case 0xEF53, 0x01021994, 0x58465342, 0x9123683E, 0x794C7630, 0x2FC12FC1: // ext2-4, tmpfs, xfs, btrfs, overlayfs, zfs
		return true
	}
	return false
}

func TestLogsLastLinesOfAHugeFile(t *testing.T) {
	home, env := ccoHome(t)
	require.NoError(t, os.MkdirAll(home, 0o700))
	log := filepath.Join(home, "daemon.log")
	f, err := os.Create(log)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	if sparseFS(home) {
		// 16 GiB of hole, then the lines: reading the file whole would
		// take more memory than there is; seeking from the end takes a
		// few blocks.
		require.NoError(t, f.Truncate(16<<30))
		_, err = f.Seek(0, io.SeekEnd)
		require.NoError(t, err)
	} else {
		t.Log("no sparse files here: 64 MiB of real lines instead")
		for i := 0; i < 1<<20; i++ {
			fmt.Fprintf(w, "filler %057d\n", i)
		}
	}
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(w, "line %d\n", i)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())

	out, errOut, code := runCco(t, env, "logs", "-n", "50")
	require.Equal(t, 0, code, errOut)
	var want strings.Builder
	for i := 51; i <= 100; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	assert.Equal(t, want.String(), out)

	out, _, code = runCco(t, env, "logs", "-n", "1")
	assert.Equal(t, 0, code)
	assert.Equal(t, "line 100\n", out)
	out, _, code = runCco(t, env, "logs", "-n", "0")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)

	// The default is 50 lines.
	out, _, _ = runCco(t, env, "logs")
	assert.Equal(t, want.String(), out)
}

// startFlooder starts a daemon whose test hook logs n numbered lines on
// SIGUSR1, rotating at 1 MiB and keeping maxFiles old files.
func startFlooder(t *testing.T, home string, env []string, n, maxFiles int) int {
	t.Helper()
	port, err := testkit.FreePort()
	require.NoError(t, err)
	denv := append(env, "CCO_LOG_ROTATION_SIZE=1MiB", fmt.Sprintf("CCO_LOG_MAX_FILES=%d", maxFiles), fmt.Sprintf("CCO_TEST_LOG_FLOOD=%d", n))
	_, errOut, code := runCco(t, denv, "start", "--port", fmt.Sprint(port))
	require.Equal(t, 0, code, errOut)
	pid, err := pidFromFile(filepath.Join(home, "daemon.pid"))
	require.NoError(t, err)
	return pid
}

func rotatedLogs(home string) []string {
	m, _ := filepath.Glob(filepath.Join(home, "daemon-*.log"))
	return m
}

// followLogs starts `cco logs -f args...` with its stdout a pipe; it is
// killed when the test ends, or once twice the wait limit has passed.
func followLogs(t *testing.T, env []string, args ...string) (*exec.Cmd, io.Reader, *testkit.Buffer) {
	t.Helper()
	follow := cco(env, append([]string{"logs", "-f"}, args...)...)
	stdout, err := follow.StdoutPipe()
	require.NoError(t, err)
	stderr := &testkit.Buffer{}
	follow.Stderr = stderr
	require.NoError(t, follow.Start())
	t.Cleanup(func() { follow.Process.Kill(); follow.Wait() })
	watchdog := time.AfterFunc(2*waitLimit, func() { follow.Process.Kill() })
	t.Cleanup(func() { watchdog.Stop() })
	return follow, stdout, stderr
}

func TestLogsFollowAcrossRotation(t *testing.T) {
	home, env := ccoHome(t)
	// About 7 MiB of lines: six or seven rotations, maybe several between
	// two looks of the follower. Enough old files are kept for none to be
	// pruned before it reads them.
	const lines = 40000
	pid := startFlooder(t, home, env, lines, 50)

	// Should the flood never end, killing the follower ends the reads below.
	follow, stdout, followErr := followLogs(t, env, "-n", "1")
	sc := bufio.NewScanner(stdout)
	require.True(t, sc.Scan(), "logs -f printed nothing")

	// The follower is attached: now make the daemon log.
	require.NoError(t, syscall.Kill(pid, syscall.SIGUSR1))
	seqRe := regexp.MustCompile(`msg="log flood" seq=(\d+) `)
	next := 1
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "log flood done") {
			break
		}
		m := seqRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		require.Equal(t, fmt.Sprint(next), m[1], "line lost or repeated at %q; stderr: %s", line, followErr.String())
		next++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, lines+1, next, "every flood line seen once, in order; stderr: %s", followErr.String())
	assert.GreaterOrEqual(t, len(rotatedLogs(home)), 3, "the log rotated")
	assert.Empty(t, followErr.String())

	// Interrupting the follower ends it cleanly.
	require.NoError(t, follow.Process.Signal(os.Interrupt))
	require.NoError(t, follow.Wait())
	_, _, code := runCco(t, env, "stop")
	assert.Equal(t, 0, code)
}

func TestLogRotationKeepsMaxFiles(t *testing.T) {
	home, env := ccoHome(t)
	const maxFiles = 2
	pid := startFlooder(t, home, env, 40000, maxFiles)
	require.NoError(t, syscall.Kill(pid, syscall.SIGUSR1))
	log := filepath.Join(home, "daemon.log")
	require.NoError(t, waitFor("the flood to end", func() (bool, error) {
		data, err := os.ReadFile(log)
		return bytes.Contains(data, []byte("log flood done")), err
	}))
	// lumberjack prunes in the background: wait for it to settle on the
	// limit (six or more rotations happened, so it must reach it).
	require.NoError(t, waitFor("old logs to be pruned", func() (bool, error) {
		return len(rotatedLogs(home)) == maxFiles, nil
	}), "old log files: %v", rotatedLogs(home))
	_, _, code := runCco(t, env, "stop")
	assert.Equal(t, 0, code)
	assert.Len(t, rotatedLogs(home), maxFiles)
}

func TestLogsFollowWaitsForTheLog(t *testing.T) {
	home, env := ccoHome(t)
	follow, stdout, stderr := followLogs(t, env)

	require.NoError(t, waitFor("logs -f to say the log is missing", func() (bool, error) {
		return strings.Contains(stderr.String(), "there is no log at "+filepath.Join(home, "daemon.log")+" yet; waiting for it"), nil
	}))
	require.NoError(t, os.MkdirAll(home, 0o700))
	// More lines than -n's default: a log that appears is shown whole.
	var lines strings.Builder
	for i := range 120 {
		fmt.Fprintf(&lines, "line %d\n", i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(home, "daemon.log"), []byte(lines.String()), 0o600))
	sc := bufio.NewScanner(stdout)
	for i := range 120 {
		require.True(t, sc.Scan(), "logs -f ended early; stderr: %s", stderr.String())
		require.Equal(t, fmt.Sprintf("line %d", i), sc.Text())
	}
	require.NoError(t, follow.Process.Signal(os.Interrupt))
	require.NoError(t, follow.Wait(), "an interrupted follow exits 0")
}

// Script commands for the lifecycle scripts. They find daemons through
// /proc (by their command line and CCO_HOME), which is Linux only.
func init() {
	commandSets = append(commandSets, map[string]scriptCmd{
		// cleanup-daemons: when the script ends, SIGKILL every daemon
		// running with this script's CCO_HOME, by PID.
		"cleanup-daemons": func(ts *testscript.TestScript, neg bool, args []string) {
			home := ts.Getenv("CCO_HOME")
			ts.Defer(func() { killDaemons(home) })
		},
		// daemons N: exactly N daemon processes run with this CCO_HOME.
		"daemons": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: daemons N")
			}
			pids := daemonPIDs(ts.Getenv("CCO_HOME"))
			if strconv.Itoa(len(pids)) != args[0] {
				ts.Fatalf("%d daemons run with this CCO_HOME (pids %v), want %s", len(pids), pids, args[0])
			}
		},
		// daemonpid VAR: $VAR = the pid in daemon.pid.
		"daemonpid": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: daemonpid VAR")
			}
			pid, err := pidFromFile(filepath.Join(ts.Getenv("CCO_HOME"), "daemon.pid"))
			ts.Check(err)
			ts.Setenv(args[0], strconv.Itoa(pid))
		},
		// alive PID: the process exists (! alive: it does not, or is a zombie).
		"alive": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: [!] alive PID")
			}
			if testkit.Alive(atoi(ts, args[0])) == neg {
				ts.Fatalf("process %s alive: %v", args[0], !neg)
			}
		},
		// waitgone PID: wait until the process has exited.
		"waitgone": func(ts *testscript.TestScript, neg bool, args []string) {
			pid := atoi(ts, args[0])
			ts.Check(waitFor("pid "+args[0]+" to exit", func() (bool, error) { return !testkit.Alive(pid), nil }))
		},
		// killpid SIG PID: send TERM|KILL|USR1 to PID.
		"killpid": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: killpid TERM|KILL|USR1 PID")
			}
			sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1}[args[0]]
			if sig == 0 {
				ts.Fatalf("unknown signal %s", args[0])
			}
			ts.Check(syscall.Kill(atoi(ts, args[1]), sig))
		},
		// spawnsleep VAR: start an unrelated `sleep`, $VAR = its pid; it is
		// killed when the script ends.
		"spawnsleep": func(ts *testscript.TestScript, neg bool, args []string) {
			cmd := exec.Command("sleep", "600")
			ts.Check(cmd.Start())
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			ts.Defer(func() { cmd.Process.Kill(); <-done })
			ts.Setenv(args[0], strconv.Itoa(cmd.Process.Pid))
		},
		// writepidfile PID: a daemon.pid naming PID, as a daemon killed
		// with -9 leaves behind (the lock is free).
		"writepidfile": func(ts *testscript.TestScript, neg bool, args []string) {
			home := ts.Getenv("CCO_HOME")
			ts.Check(os.MkdirAll(home, 0o700))
			port, _ := strconv.Atoi(ts.Getenv("PORT"))
			data, _ := json.Marshal(map[string]any{
				"pid": atoi(ts, args[0]), "started_at": time.Now().UTC(), "host": "127.0.0.1",
				"port": port, "version": "e2e", "exe": "/usr/bin/sleep", "manager": "detached",
			})
			ts.Check(os.WriteFile(filepath.Join(home, "daemon.pid"), data, 0o600))
		},
	})
}

func atoi(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		ts.Fatalf("not a pid: %q", s)
	}
	return n
}

func pidFromFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var info struct{ PID int }
	if err := json.Unmarshal(data, &info); err != nil || info.PID <= 0 {
		return 0, fmt.Errorf("no pid in %s: %q", path, data)
	}
	return info.PID, nil
}

// daemonPIDs are the live `cco [daemon] run` processes whose environment
// has CCO_HOME=home.
func daemonPIDs(home string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !testkit.Alive(pid) {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if filepath.Base(args[0]) != "cco" {
			continue
		}
		rest := args[1:]
		if len(rest) > 0 && rest[0] == "daemon" {
			rest = rest[1:]
		}
		if len(rest) == 0 || rest[0] != "run" {
			continue
		}
		environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(environ), "\x00") {
			if kv == "CCO_HOME="+home {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// killDaemons SIGKILLs, by PID, every daemon of home, and waits for them.
func killDaemons(home string) {
	pids := daemonPIDs(home)
	for _, pid := range pids {
		testkit.Kill(pid)
	}
	for _, pid := range pids {
		_ = testkit.WaitExit(pid, waitLimit)
	}
}
