package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

// TestSystemdService drives the whole cycle against a real systemd user
// manager: install, enable, start, crash and restart, watchdog restart of
// a hung daemon, stop that sticks, disable, uninstall, and idempotence.
func TestSystemdService(t *testing.T) {
	if testing.Short() {
		t.Skip("the systemd service cycle waits for real restarts (RestartSec=10); skipped with -short")
	}
	m := startUserManager(t)
	// A unit name of its own: user managers of tests running at the same
	// time share the cgroup tree, where a unit's cgroup is named after it.
	name := fmt.Sprintf("cco-daemon-test-%d", rand.Uint32())
	unit := name + ".service"
	unitFile := filepath.Join(m.home, ".config/systemd/user", unit)

	// A CCO_HOME and a binary path with spaces and a '%' prove the unit's
	// quoting on a real manager, not just in a golden file.
	ccoHome := filepath.Join(m.home, "cco data 100%")
	exe := filepath.Join(m.home, "my bin", "cco")
	linkOrCopy(t, ccoPath(), exe)
	port := quietPort(t)
	hang := filepath.Join(m.home, "hang")
	env := []string{"CCO_HOME=" + ccoHome, "CCO_SERVICE_NAME=" + name}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(exe, args...)
		cmd.Env = append(append([]string{}, m.env...), env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "cco %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}
	run("config", "set", "port", strconv.Itoa(port))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	t.Cleanup(func() {
		// Whatever failed, leave no unit and no process behind (the
		// manager's shutdown stops anything still running).
		cmd := exec.Command(exe, "uninstall")
		cmd.Env = append(append([]string{}, m.env...), env...)
		_ = cmd.Run()
	})

	// install: the unit is written and enabled (auto_start defaults to true).
	out := run("install")
	assert.Contains(t, out, "installed the systemd service: "+unitFile)
	assert.Contains(t, out, "autostart enabled")
	require.FileExists(t, unitFile)
	enabled, _ := m.systemctl("is-enabled", unit)
	assert.Equal(t, "enabled", strings.TrimSpace(enabled))
	assert.Equal(t, "notify", m.show(unit, "Type"))
	assert.Equal(t, "10s", m.show(unit, "RestartUSec"))
	assert.Contains(t, m.show(unit, "ExecStart"), "path="+exe+" ;")
	assert.Contains(t, m.show(unit, "Environment"), "CCO_HOME="+ccoHome)

	// install --start on an installed unit starts it; start flags are
	// refused (the service reads its config file), and start goes through
	// the manager: Type=notify returns once READY=1 is sent.
	_, errOut, code := m.ccoAt(exe, env, "start", "--port", "1")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "cco runs as a systemd service")
	out = run("install", "--start")
	assert.Contains(t, out, "already installed, up to date")
	assert.Contains(t, out, "cco started through systemd: "+base)
	out = run("start")
	assert.Contains(t, out, "cco started through systemd: "+base)
	code, body, err := httpStatus(base + "/ready")
	require.NoError(t, err)
	require.Equal(t, 200, code, body)
	var status struct{ Manager string }
	getJSON(t, base+"/api/status", &status)
	assert.Equal(t, "systemd", status.Manager)
	out = run("status")
	assert.Contains(t, out, "manager:  systemd")
	assert.Contains(t, out, "service:  systemd, installed at "+unitFile)
	assert.Contains(t, out, "enabled:  yes: starts at login")
	assert.Contains(t, out, "state:    active (running), 0 restarts")
	assert.Contains(t, out, "binary:   "+exe)

	// kill -9: Restart=always brings it back after RestartSec (10 s).
	pid, _ := strconv.Atoi(m.show(unit, "MainPID"))
	require.True(t, testkit.Alive(pid), "MainPID %d", pid)
	restarts, _ := strconv.Atoi(m.show(unit, "NRestarts"))
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	newPID := waitRestart(t, m, unit, pid, restarts, 10*time.Second+waitLimit)
	waitReady(t, base)
	assert.Contains(t, run("status"), fmt.Sprintf("active (running), %d restart", restarts+1))

	// Watchdog: with a short WatchdogSec (a drop-in, so the test does not
	// wait 30 s) the daemon survives while it feeds it, and is restarted
	// when its self-check hangs (the CCO_TEST_HEALTH_HANG_FILE hook).
	dropIn := filepath.Join(unitFile+".d", "test-watchdog.conf")
	require.NoError(t, os.MkdirAll(filepath.Dir(dropIn), 0o755))
	stderrFile := filepath.Join(m.home, "service-stderr.log")
	require.NoError(t, os.WriteFile(dropIn, []byte("[Service]\nWatchdogSec=6\nStandardError=append:"+stderrFile+"\n"), 0o644))
	_, err = m.systemctl("set-environment", "CCO_TEST_HEALTH_HANG_FILE="+hang)
	require.NoError(t, err)
	_, err = m.systemctl("daemon-reload")
	require.NoError(t, err)
	assert.Contains(t, run("restart"), "cco restarted through systemd: "+base)
	waitReady(t, base)
	pid, _ = strconv.Atoi(m.show(unit, "MainPID"))
	require.NotEqual(t, newPID, pid)
	restarts, _ = strconv.Atoi(m.show(unit, "NRestarts"))
	// Fed: alive well past two watchdog periods, same PID, no restart.
	require.NoError(t, waitFor("the daemon to outlive two watchdog periods", func() (bool, error) {
		_, body, err := httpStatus(base + "/health")
		var h struct {
			UptimeS float64 `json:"uptime_s"`
		}
		_ = json.Unmarshal([]byte(body), &h)
		return err == nil && h.UptimeS >= 13, err
	}))
	assert.Equal(t, strconv.Itoa(pid), m.show(unit, "MainPID"), "a healthy daemon was restarted by the watchdog")
	require.NoError(t, os.WriteFile(hang, nil, 0o644))
	waitRestart(t, m, unit, pid, restarts, 6*time.Second+10*time.Second+waitLimit)
	// systemd's watchdog kills with SIGABRT, which the Go runtime reports.
	stderrLog, err := os.ReadFile(stderrFile)
	require.NoError(t, err)
	assert.Contains(t, string(stderrLog), "SIGABRT", "the restart was not the watchdog's")
	daemonLog, err := os.ReadFile(filepath.Join(ccoHome, "daemon.log"))
	require.NoError(t, err)
	assert.Contains(t, string(daemonLog), "self-check failing; not feeding the systemd watchdog")
	require.NoError(t, os.Remove(hang))
	require.NoError(t, os.Remove(dropIn))
	require.NoError(t, os.Remove(filepath.Dir(dropIn)))
	_, err = m.systemctl("daemon-reload")
	require.NoError(t, err)
	waitReady(t, base)

	// stop through the manager: it stays stopped (no auto-restart pending).
	pid, _ = strconv.Atoi(m.show(unit, "MainPID"))
	assert.Contains(t, run("stop"), fmt.Sprintf("cco stopped through systemd (pid %d)", pid))
	assert.False(t, testkit.Alive(pid), "the daemon (pid %d) survived the stop", pid)
	assert.Equal(t, "dead", m.show(unit, "SubState"), "a restart is pending after stop")
	jobs, _ := m.systemctl("list-jobs", "--no-legend")
	assert.Empty(t, strings.TrimSpace(jobs), "jobs pending after stop")
	assert.Equal(t, "0", m.show(unit, "ExecMainStatus"), "a clean stop must exit 0")
	out, _, code = m.ccoAt(exe, env, "status")
	assert.Equal(t, 3, code, "status of a stopped service: %s", out)
	assert.Contains(t, out, "state:    inactive (dead)")
	assert.Contains(t, run("stop"), "cco is not running (systemd service: inactive (dead))")

	// disable, then uninstall: no file, no process.
	assert.Contains(t, run("disable"), "autostart disabled")
	enabled, _ = m.systemctl("is-enabled", unit)
	assert.Equal(t, "disabled", strings.TrimSpace(enabled))
	assert.Contains(t, run("uninstall"), "stopped and removed")
	assert.NoFileExists(t, unitFile)
	assert.False(t, testkit.Alive(pid))
	_, _, err = httpStatus(base + "/health")
	assert.Error(t, err, "something still answers on the port after uninstall")
	wants, _ := filepath.Glob(filepath.Join(m.home, ".config/systemd/user/*/"+unit))
	assert.Empty(t, wants, "enablement symlinks left behind")

	// Idempotence: install twice, uninstall twice; a moved binary is
	// noticed and the unit rewritten, saying what changed.
	assert.Contains(t, run("install"), "installed the systemd service")
	assert.Contains(t, run("install"), "already installed, up to date")
	moved := filepath.Join(m.home, "other bin", "cco")
	linkOrCopy(t, ccoPath(), moved)
	cmd := exec.Command(moved, "install")
	cmd.Env = append(append([]string{}, m.env...), env...)
	movedOut, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", movedOut)
	assert.Contains(t, string(movedOut), "updated the systemd service")
	assert.Contains(t, string(movedOut), fmt.Sprintf("changed Service.ExecStart: %q daemon run -> %q daemon run", exe, moved))
	assert.Contains(t, m.show(unit, "ExecStart"), "path="+moved+" ;", "systemd was not reloaded")
	assert.Contains(t, run("uninstall"), "stopped and removed")
	assert.Contains(t, run("uninstall"), "not installed; nothing to remove")
	assert.NoFileExists(t, unitFile)
}

// TestServiceWithoutManager: where no user manager answers, the service
// verbs say so in one line and write nothing.
func TestServiceWithoutManager(t *testing.T) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("systemctl is not on PATH; .ci/run installs it with apt-get install systemd")
	}
	home := t.TempDir()
	runtime := filepath.Join(home, "run") // no manager listens here
	require.NoError(t, os.Mkdir(runtime, 0o700))
	emptyBin := t.TempDir()
	for _, tc := range []struct {
		name, path, want string
	}{
		{"no user bus", binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "cannot reach the systemd user manager"},
		{"no systemctl", binDir + string(os.PathListSeparator) + emptyBin, "systemd is not available here (no systemctl on PATH)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(verb string) (stdout, stderr string, err error) {
				cmd := exec.Command(ccoPath(), verb)
				cmd.Env = []string{"PATH=" + tc.path, "HOME=" + home, "XDG_RUNTIME_DIR=" + runtime, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
				var out, errOut bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errOut
				err = cmd.Run()
				return out.String(), errOut.String(), err
			}
			_, stderr, err := run("install")
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "cco install succeeded without a manager")
			assert.Equal(t, 1, exit.ExitCode())
			msg := strings.TrimSpace(stderr)
			assert.Equal(t, 1, strings.Count(msg, "\n")+1, "not one line: %q", msg)
			assert.Contains(t, msg, tc.want)
			assert.Contains(t, msg, "'cco start'")

			// Nothing was installed and no manager can hold a unit:
			// uninstall has nothing to do, which is not a failure.
			stdout, stderr, err := run("uninstall")
			require.NoError(t, err, "cco uninstall with nothing installed: %s", stderr)
			assert.Contains(t, stdout, "not installed; nothing to remove")
			assert.NoDirExists(t, filepath.Join(home, ".config", "systemd"), "install wrote files without a manager")
		})
	}
}

// userManager is a private `systemd --user` for one test. It gets its own
// HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR, so it reads units only from
// the test's temp dirs and never sees (or clobbers) a real user's units,
// and cco finds its unit directory by the same rules it uses in real life.
type userManager struct {
	t       *testing.T
	home    string
	runtime string
	env     []string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

func systemdBinary() string {
	for _, p := range []string{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func startUserManager(t *testing.T) *userManager {
	t.Helper()
	bin := systemdBinary()
	if bin == "" {
		t.Skip("systemd is not installed (no /lib/systemd/systemd); .ci/run installs it with apt-get install systemd")
	}
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("systemctl is not on PATH; .ci/run installs it with apt-get install systemd")
	}
	// systemctl and sd_booted() look for this directory; the CI recipe
	// creates it, and so does the harness where it may.
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		_ = os.MkdirAll("/run/systemd/system", 0o755)
	}
	dir := t.TempDir()
	m := &userManager{t: t, home: filepath.Join(dir, "home"), runtime: filepath.Join(dir, "run"), exited: make(chan struct{})}
	require.NoError(t, os.MkdirAll(m.home, 0o700))
	require.NoError(t, os.Mkdir(m.runtime, 0o700))
	m.env = []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + m.home,
		"USER=" + os.Getenv("USER"),
		"XDG_CONFIG_HOME=" + filepath.Join(m.home, ".config"),
		"XDG_RUNTIME_DIR=" + m.runtime,
		"LANG=C",
	}
	m.logPath = filepath.Join(dir, "systemd-user.log")
	logFile, err := os.Create(m.logPath)
	require.NoError(t, err)
	m.cmd = exec.Command(bin, "--user")
	m.cmd.Env = m.env
	m.cmd.Dir = m.home
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	require.NoError(t, m.cmd.Start(), "starting systemd --user")
	go func() { m.cmd.Wait(); logFile.Close(); close(m.exited) }()
	t.Cleanup(m.shutdown)

	err = waitFor("the systemd user manager to answer", func() (bool, error) {
		select {
		case <-m.exited:
			return false, errors.New("systemd --user exited")
		default:
		}
		out, err := m.systemctl("is-system-running")
		out = strings.TrimSpace(out)
		return out == "running" || out == "degraded", fmt.Errorf("%s: %v", out, err)
	})
	if err != nil {
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("%v\nsystemd --user log:\n%s", err, log)
	}
	return m
}

// shutdown stops the manager, which stops every unit it runs.
func (m *userManager) shutdown() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(waitLimit):
		m.t.Errorf("systemd --user (pid %d) did not exit on SIGTERM; killing it", m.cmd.Process.Pid)
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

func (m *userManager) systemctl(args ...string) (string, error) {
	cmd := exec.Command("systemctl", append([]string{"--user"}, args...)...)
	cmd.Env = m.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// show returns one property of the unit.
func (m *userManager) show(unit, prop string) string {
	out, _ := m.systemctl("show", unit, "--property="+prop, "--value")
	return strings.TrimSpace(out)
}

// ccoAt runs cco at exe in the manager's environment plus env.
func (m *userManager) ccoAt(exe string, env []string, args ...string) (stdout, stderr string, code int) {
	m.t.Helper()
	return runCcoAt(m.t, exe, append(append([]string{}, m.env...), env...), args...)
}

// quietPort is a free port below the kernel's ephemeral range. The daemon
// under test leaves its port free while systemd waits to restart it; a
// port from that range could meanwhile be handed to another test (port 0)
// whose script would then reach, and signal, this daemon.
func quietPort(t *testing.T) int {
	t.Helper()
	port, err := testkit.QuietPort()
	require.NoError(t, err)
	return port
}

// linkOrCopy puts the binary under test at dst (a path with spaces).
func linkOrCopy(t *testing.T, src, dst string) {
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	if os.Link(src, dst) == nil {
		return
	}
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// waitRestart waits until the unit runs a new main process after pid died,
// with NRestarts above before, and returns the new PID.
func waitRestart(t *testing.T, m *userManager, unit string, pid, before int, limit time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		newPID, _ := strconv.Atoi(m.show(unit, "MainPID"))
		n, _ := strconv.Atoi(m.show(unit, "NRestarts"))
		if newPID > 0 && newPID != pid && n > before && m.show(unit, "ActiveState") == "active" {
			return newPID
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("systemd did not restart %s within %s (MainPID %s, NRestarts %s, state %s)", unit, limit,
		m.show(unit, "MainPID"), m.show(unit, "NRestarts"), m.show(unit, "ActiveState"))
	return 0
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	require.NoError(t, waitFor(base+"/ready", func() (bool, error) {
		code, _, err := httpStatus(base + "/ready")
		return code == 200, err
	}))
}

// TestReliabilityCrashLoop installs cco as a systemd user service whose
// start fails (its database path runs through a file), and checks that
// systemd keeps restarting it every RestartSec, that `cco status`
// explains the failure meanwhile, and that once the cause is gone the next
// restart brings it up. The short form shortens RestartSec to 1 s with a
// drop-in; the full form waits on the unit's own 10 s.
func TestReliabilityCrashLoop(t *testing.T) {
	m := startUserManager(t) // skips when systemd is not installed
	const unit = "cco-daemon.service"
	ccoHome := filepath.Join(m.home, ".cco")
	env := []string{"CCO_HOME=" + ccoHome}
	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	svcCCO(t, m, env, true, "config", "set", "port", strconv.Itoa(port))
	// The failure: the database's directory is a file. A bad path is what
	// a typo in database_url or a moved disk produces.
	blocker := filepath.Join(ccoHome, "blocker")
	if err := os.WriteFile(blocker, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svcCCO(t, m, env, true, "config", "set", "database_url", "sqlite://blocker/analytics.db")
	t.Cleanup(func() { svcCCO(t, m, env, false, "uninstall") })
	svcCCO(t, m, env, true, "install")

	restartSec := 10 * time.Second
	if !full() {
		restartSec = time.Second
		dropIn := filepath.Join(m.home, ".config/systemd/user", unit+".d", "restart.conf")
		if err := os.MkdirAll(filepath.Dir(dropIn), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dropIn, []byte("[Service]\nRestartSec=1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := m.systemctl("daemon-reload"); err != nil {
			t.Fatalf("daemon-reload: %v %s", err, out)
		}
	}
	if got := m.show(unit, "RestartUSec"); got != fmt.Sprintf("%ds", int(restartSec.Seconds())) {
		t.Fatalf("RestartUSec = %s, want %s", got, restartSec)
	}
	if out, err := m.systemctl("start", "--no-block", unit); err != nil {
		t.Fatalf("systemctl start: %v %s", err, out)
	}

	// Crash loop: every start exits non-zero, and systemd keeps trying.
	failures := 3
	limit := time.Duration(failures+1)*restartSec + waitLimit
	deadline := time.Now().Add(limit)
	restarts := 0
	for restarts < failures {
		if time.Now().After(deadline) {
			t.Fatalf("systemd restarted the failing daemon %d times in %s, want %d (state %s/%s)", restarts, limit, failures,
				m.show(unit, "ActiveState"), m.show(unit, "SubState"))
		}
		restarts, _ = strconv.Atoi(m.show(unit, "NRestarts"))
		time.Sleep(100 * time.Millisecond)
	}
	// Read the figures between two attempts: while a restart is starting,
	// systemd has already reset them for the new process.
	var exitStatus, result string
	if err := waitFor("the unit to wait for its next restart", func() (bool, error) {
		// Read first, then check that no attempt began meanwhile.
		exitStatus, result = m.show(unit, "ExecMainStatus"), m.show(unit, "Result")
		sub := m.show(unit, "SubState")
		return sub == "auto-restart" || sub == "failed", nil
	}); err != nil {
		t.Fatal(err)
	}
	if exitStatus == "0" || result != "exit-code" {
		t.Errorf("a failed start: ExecMainStatus %s, Result %s; want non-zero and exit-code", exitStatus, result)
	}
	if code, _, err := httpStatus(base + "/health"); err == nil {
		t.Errorf("something answers /health (%d) while every start fails", code)
	}

	// Meanwhile, status says it is not running and why.
	out, errOut, code := svcCCO(t, m, env, false, "status")
	said := out + errOut
	explains := strings.Contains(said, blocker) || strings.Contains(said, "not a directory")
	if code != 3 || !explains {
		t.Errorf("cco status during the crash loop: exit %d\n%s\nwant exit 3 and the reason (the database path %s is not a directory)", code, said, blocker)
	}

	// The cause goes away: the next restart must bring it up.
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	err = waitFor("the daemon to come up after the fix", func() (bool, error) {
		c, _, err := httpStatus(base + "/ready")
		return c == 200 && m.show(unit, "ActiveState") == "active", err
	})
	if err != nil {
		t.Fatalf("%v (state %s/%s)", err, m.show(unit, "ActiveState"), m.show(unit, "SubState"))
	}
	final, _ := strconv.Atoi(m.show(unit, "NRestarts"))
	if _, _, code := svcCCO(t, m, env, false, "status"); code != 0 {
		t.Errorf("cco status once up: exit %d, want 0", code)
	}
	if out, err := m.systemctl("stop", unit); err != nil {
		t.Errorf("systemctl stop: %v %s", err, out)
	}
	report(t, "crash-loop-systemd", "%d failed starts (exit status %s, result %s) restarted every RestartSec=%s, status exit %d explaining the cause: %t, up after the fix with NRestarts=%d",
		restarts, exitStatus, result, restartSec, code, explains, final)
}

// svcCCO runs the binary under test in the user manager's environment; when
// must is set, a non-zero exit fails the test.
func svcCCO(t *testing.T, m *userManager, env []string, must bool, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	e := &relEnv{t: t, env: append(append([]string{}, m.env...), env...)}
	stdout, stderr, code = e.cco(args...)
	if must && code != 0 {
		t.Fatalf("cco %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout, stderr, code
}
