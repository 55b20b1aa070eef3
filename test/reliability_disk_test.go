//go:build linux

package test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReliabilityFullDisk puts CCO_HOME on a tiny tmpfs and fills it while
// the daemon runs: the proxy must keep answering, the failed writes must
// show in /api/status and /metrics, and once space returns the records
// still queued must be written.
func TestReliabilityFullDisk(t *testing.T) {
	e, _ := newFaultyEnv(t)
	mountTmpfs(t, e.ccoHome, "4m")
	d := e.startDaemon()

	if served := serveSome(e, 20); served != 20 {
		t.Fatalf("%d of 20 calls served before the disk filled", served)
	}
	waitRecorded(t, e, 20)

	filler := filepath.Join(e.ccoHome, "filler")
	filled := fill(t, filler)

	// Proxy until the analytics writer has hit the full disk: every call
	// must still be answered.
	limit := pick(3000, 6000)
	calls, failed := 0, 0
	for st := e.status(); st.Analytics.WriteErrors == 0; st = e.status() {
		if calls >= limit {
			t.Fatalf("no write error after %d calls on a full disk (written %d, queued %d)", calls, st.Analytics.Written, st.Analytics.Queued)
		}
		for i := range 50 {
			code, _, _, err := e.message(messageBody(fmt.Sprintf("rel-full-%05d-%d", calls, i), false))
			if err != nil || code != 200 {
				failed++
			}
		}
		calls += 50
	}
	st := e.status()
	metric := e.metric("cco_analytics_write_errors_total")
	if failed > 0 {
		t.Errorf("%d of %d calls failed while the disk was full; the proxy must keep answering", failed, calls)
	}
	if !strings.Contains(st.Analytics.LastError, "full") {
		t.Errorf("/api/status analytics.last_error = %q, want it to say the disk is full", st.Analytics.LastError)
	}
	if metric < 1 {
		t.Errorf("cco_analytics_write_errors_total = %v with %d write errors in /api/status", metric, st.Analytics.WriteErrors)
	}
	if code, _, err := httpStatus(e.base + "/health"); code != 200 {
		t.Errorf("/health on a full disk: %d %v", code, err)
	}

	// Space returns: the queue drains and new calls are recorded again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if served := serveSome(e, 20); served != 20 {
		t.Errorf("%d of 20 calls served after space returned", served)
	}
	answered := 20 + calls - failed + 20
	err := waitFor("the analytics queue to drain after space returned", func() (bool, error) {
		s := e.status()
		return s.Analytics.Queued == 0 && s.Analytics.Written+s.Analytics.Dropped >= int64(answered),
			fmt.Errorf("written %d, dropped %d, queued %d of %d", s.Analytics.Written, s.Analytics.Dropped, s.Analytics.Queued, answered)
	})
	if err != nil {
		t.Error(err)
	}
	after := e.status()
	d.stop()
	db := e.openDB()
	integrity := db.integrity()
	recorded := db.count("SELECT COUNT(*) FROM calls")
	if integrity != "ok" {
		t.Errorf("integrity_check after the full disk: %s", integrity)
	}
	if int64(recorded) != after.Analytics.Written {
		t.Errorf("the database holds %d calls, the writer reported %d written", recorded, after.Analytics.Written)
	}
	if recorded < 40 {
		t.Errorf("only %d calls recorded; those before the disk filled and after space returned must be", recorded)
	}
	report(t, "full-disk", "4 MiB tmpfs filled with %d KiB: %d of %d calls proxied while full, %d write errors in /api/status and %v in /metrics (%q), space freed: %d of %d answered calls recorded, %d dropped while full, db integrity %s",
		filled>>10, calls-failed, calls, st.Analytics.WriteErrors, metric, shorten(st.Analytics.LastError, 60), recorded, answered, after.Analytics.Dropped, integrity)
}

// mountTmpfs mounts a tmpfs of size on dir for the test (root only).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("the full-disk case mounts a tmpfs, which needs root (CAP_SYS_ADMIN): mount: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			// Something still holds it: detach, so it goes once released.
			if err2 := syscall.Unmount(dir, syscall.MNT_DETACH); err2 != nil {
				t.Errorf("unmounting %s: %v; %v", dir, err, err2)
			}
		}
	})
}

// fill writes path until the file system is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 16<<10)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatalf("filling %s: %v", path, err)
		}
	}
}

func waitRecorded(t *testing.T, e *relEnv, n int64) {
	t.Helper()
	if err := waitFor(fmt.Sprintf("%d records written", n), func() (bool, error) {
		w := e.status().Analytics.Written
		return w >= n, fmt.Errorf("%d written", w)
	}); err != nil {
		t.Fatal(err)
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
