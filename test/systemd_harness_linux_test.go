package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/internal/testkit"
)

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
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(append([]string{}, m.env...), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		m.t.Fatalf("running cco %v: %v", args, err)
	}
	return o.String(), e.String(), code
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
