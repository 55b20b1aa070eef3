//go:build linux

package test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/cco/internal/testkit"
)

// TestReliabilityCorruptFiles puts damaged or foreign files where cco keeps
// its own: each must get a clear message and a safe outcome, and nothing
// may be silently deleted.
func TestReliabilityCorruptFiles(t *testing.T) {
	var lines []string
	handled := 0
	cases := []struct {
		name string
		run  func(t *testing.T) string
	}{
		{"truncated analytics.db", truncatedDatabase},
		{"garbage daemon.pid", garbagePidFile},
		{"binary config.toml", binaryConfig},
		{"daemon.token", badToken},
		{"CCO_HOME a file", homeIsAFile},
	}
	for _, c := range cases {
		ok := t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			lines = append(lines, c.name+": "+c.run(t))
		})
		if ok {
			handled++
		} else {
			lines = append(lines, c.name+": FAILED")
		}
	}
	report(t, "corrupt-files", "%d of %d handled; %s", handled, len(cases), strings.Join(lines, "; "))
}

// truncatedDatabase: a database cut in half (a disk that filled up, a bad
// copy) is moved aside, kept byte for byte, and a new one is created.
func truncatedDatabase(t *testing.T) string {
	e, _ := newFaultyEnv(t)
	d := e.startDaemon()
	if served := serveSome(e, 400); served != 400 {
		t.Fatalf("%d of 400 calls served", served)
	}
	d.stop()
	db := filepath.Join(e.ccoHome, "analytics.db")
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size() / 2
	if err := os.Truncate(db, size); err != nil {
		t.Fatal(err)
	}
	cut, _ := os.ReadFile(db)

	d = e.startDaemon()
	aside, _ := filepath.Glob(db + ".corrupt-*")
	var kept []string
	for _, a := range aside {
		if !strings.HasSuffix(a, "-wal") && !strings.HasSuffix(a, "-shm") {
			kept = append(kept, a)
		}
	}
	if len(kept) != 1 {
		t.Fatalf("want the damaged database moved aside to one analytics.db.corrupt-* file, found %v\n%s", aside, d.output())
	}
	if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b, cut) {
		t.Errorf("the database moved aside differs from the damaged one (%d bytes, want %d)", len(b), len(cut))
	}
	logText := readLog(t, e)
	if !strings.Contains(logText, "moved it aside") || !strings.Contains(logText, filepath.Base(kept[0])) {
		t.Errorf("no warning naming %s in the log:\n%s", kept[0], logText)
	}
	if served := serveSome(e, 5); served != 5 {
		t.Errorf("after the recovery, %d of 5 calls served", served)
	}
	d.stop()
	u := e.openDB()
	integrity := u.integrity()
	rows := u.count("SELECT COUNT(*) FROM calls")
	if integrity != "ok" || rows != 5 {
		t.Errorf("the new database: integrity %s, %d rows; want ok and the 5 new calls", integrity, rows)
	}
	return fmt.Sprintf("cut to %d bytes, moved aside to %s (kept byte for byte) with a warning, new database integrity %s with %d new calls recorded",
		size, filepath.Base(kept[0]), integrity, rows)
}

// garbagePidFile: junk in daemon.pid, with no daemon and with one running.
// The lock, not the pid file, says what runs, and nothing is signalled on
// the word of a file that does not parse.
func garbagePidFile(t *testing.T) string {
	e := newRelEnv(t, "")
	pidPath, junk := writeJunk(t, e, "daemon.pid", 200)
	out, errOut, code := e.cco("status")
	if code != 3 || !strings.Contains(out+errOut, "not running") || !strings.Contains(out+errOut, "removed an unreadable stale pid file") {
		t.Errorf("status with a garbage pid file and no daemon: exit %d\n%s%s; want 3, 'not running' and the removal of the unreadable pid file said", code, out, errOut)
	}
	out, errOut, code = e.cco("start")
	if code != 0 {
		t.Fatalf("start over a garbage pid file: exit %d\n%s%s", code, out, errOut)
	}
	pid := detachedPID(t, e)
	t.Cleanup(func() { _ = testkit.KillWait(pid) })
	// Now the running daemon's pid file is overwritten with junk: status
	// still says running (by the lock, which on Linux also names the
	// holder), and stop stops the lock holder, never a PID guessed from junk.
	if err := os.WriteFile(pidPath, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = e.cco("status")
	if code != 0 || !strings.Contains(out, "pid file is unreadable") || !strings.Contains(out, fmt.Sprintf("pid %d holds the lock", pid)) {
		t.Errorf("status of a running daemon whose pid file is junk: exit %d\n%s%s; want 0 (running, by its lock), the holder's pid and the pid file named unreadable", code, out, errOut)
	}
	out, errOut, stopCode := e.cco("stop", "--timeout", "5s")
	if stopCode != 0 || !strings.Contains(out, fmt.Sprintf("cco stopped (pid %d)", pid)) || !strings.Contains(out, "daemon.pid was unreadable") {
		t.Errorf("stop with the pid file junk: exit %d\n%s%s; want the lock holder stopped and the pid file named unreadable", stopCode, out, errOut)
	}
	if testkit.Alive(pid) {
		_ = testkit.KillWait(pid)
		t.Errorf("the daemon still runs after stop")
	}
	return fmt.Sprintf("no daemon: status exit 3 'not running', the junk removed and said so, start works; daemon running: status exit 0 naming the lock holder and the pid file unreadable, stop exit %d stopping the lock holder (kernel lock table), nothing guessed from the junk", stopCode)
}

// binaryConfig: a config.toml full of binary junk is an error that names
// the file, before anything binds or writes, and the file is left as is.
func binaryConfig(t *testing.T) string {
	e := newRelEnv(t, "")
	path, junk := writeJunk(t, e, "config.toml", 4096)
	codes := []string{}
	for _, args := range [][]string{{"daemon", "run"}, {"start"}, {"config", "validate"}} {
		out, errOut, code := e.cco(args...)
		codes = append(codes, fmt.Sprint(code))
		if code != 2 || !strings.Contains(errOut, path) {
			t.Errorf("cco %s with a binary config.toml: exit %d\n%s%s; want exit 2 naming %s", strings.Join(args, " "), code, out, errOut, path)
		}
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, junk) {
		t.Errorf("config.toml was changed")
	}
	if e.pidFile() {
		t.Errorf("a pid file was written although the daemon could not start")
	}
	if _, _, err := httpStatus(e.base + "/health"); err == nil {
		t.Errorf("something answers on the port although the config is junk")
	}
	return "run, start and config validate exit " + strings.Join(codes, ",") + " naming the file, file unchanged, nothing started"
}

// badToken: a token file others can read may have been read, so it is
// replaced, as is one that holds no token; both with a warning.
func badToken(t *testing.T) string {
	e := newRelEnv(t, "")
	d := e.startDaemon()
	tok := e.token()
	d.stop()
	path := filepath.Join(e.ccoHome, "daemon.token")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	d = e.startDaemon()
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 || e.token() == tok {
		t.Errorf("a 0644 token: mode now %v, same token %t; want 0600 and a new token (the old one may have been read)", fi.Mode().Perm(), e.token() == tok)
	}
	d.stop()
	if err := os.WriteFile(path, []byte("not a token\x00\xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	d = e.startDaemon()
	newTok := e.token()
	if len(newTok) != 64 || newTok == tok {
		t.Errorf("a junk token file: got %q, want a new 64-hex-digit token", newTok)
	}
	if l := readLog(t, e); !strings.Contains(l, "does not hold a token") || !strings.Contains(l, "readable by others") {
		t.Errorf("the log does not warn about the token file:\n%s", l)
	}
	d.stop()
	return "0644 replaced by a new 0600 token (it may have been read), junk replaced by a new token, both warned in the log"
}

// homeIsAFile: CCO_HOME names a file. Nothing may write into it, move it
// or delete it, and the message says what is wrong.
func homeIsAFile(t *testing.T) string {
	e := newRelEnv(t, "")
	content := []byte("my notes, not a directory\n")
	if err := os.WriteFile(e.ccoHome, content, 0o644); err != nil {
		t.Fatal(err)
	}
	codes := []string{}
	for _, args := range [][]string{{"daemon", "run"}, {"start"}, {"config", "set", "port", "4000"}} {
		out, errOut, code := e.cco(args...)
		codes = append(codes, fmt.Sprint(code))
		if code == 0 || !strings.Contains(errOut, e.ccoHome) || !strings.Contains(errOut, "not a directory") {
			t.Errorf("cco %s with CCO_HOME a file: exit %d\n%s%s; want non-zero naming %s and 'not a directory'", strings.Join(args, " "), code, out, errOut, e.ccoHome)
		}
	}
	if b, _ := os.ReadFile(e.ccoHome); !bytes.Equal(b, content) {
		t.Errorf("the file CCO_HOME names was changed")
	}
	return "run, start and config set exit " + strings.Join(codes, ",") + " with 'is a file, not a directory', the file unchanged"
}

// writeJunk makes CCO_HOME and writes n random bytes to its file name.
func writeJunk(t *testing.T, e *relEnv, name string, n int) (path string, junk []byte) {
	if err := os.MkdirAll(e.ccoHome, 0o700); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(e.ccoHome, name)
	junk = make([]byte, n)
	rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, junk
}

func readLog(t *testing.T, e *relEnv) string {
	b, err := os.ReadFile(filepath.Join(e.ccoHome, "daemon.log"))
	if err != nil {
		t.Fatalf("reading the daemon log: %v", err)
	}
	return string(b)
}

// detachedPID is the pid a detached daemon wrote in daemon.pid.
func detachedPID(t *testing.T, e *relEnv) int {
	t.Helper()
	pid, err := pidFromFile(filepath.Join(e.ccoHome, "daemon.pid"))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
