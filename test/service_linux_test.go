package test

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	code, body, err = httpStatus(base + "/api/status")
	require.NoError(t, err)
	require.Equal(t, 200, code)
	var status struct{ Manager string }
	require.NoError(t, json.Unmarshal([]byte(body), &status))
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
