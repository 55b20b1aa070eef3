//go:build linux

package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/cco/internal/testkit"
)

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
	exitStatus := m.show(unit, "ExecMainStatus")
	result := m.show(unit, "Result")
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
