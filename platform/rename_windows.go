package platform

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
)

// busyFor bounds the retries while another process has the file open in
// a way that keeps it from being renamed or removed: a reader that shares
// no delete (an antivirus scan, an indexer), or any reader at all of a
// file being replaced (Windows renames over no open file).
const busyFor = 2 * time.Second

// removeNow removes path so that its name is free at once. Windows keeps
// the name of a file removed while others have it open until the last of
// them closes it: a daemon's pid file removed while a 'cco stop' read it
// was still there after the daemon had gone, and was taken for a stale
// one. Renamed aside first, the name is free, and the renamed file goes
// when its last reader closes it.
func removeNow(path string) error {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	aside := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".removed-"+hex.EncodeToString(b))
	for deadline := time.Now().Add(busyFor); ; time.Sleep(10 * time.Millisecond) {
		err := os.Rename(path, aside)
		switch {
		case err == nil:
			// The name is free, which is what matters; a reader that
			// shares no delete leaves the aside file behind.
			_ = os.Remove(aside)
			return nil
		case errors.Is(err, os.ErrNotExist):
			return err
		case !busy(err) || time.Now().After(deadline):
			return os.Remove(path) // by its name, as well as can be done
		}
	}
}

// busy reports the errors of a file another process has open.
func busy(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// renameReplacing renames from over to, retrying while to is held open by
// a reader: cco's own readers hold a file for an instant.
func renameReplacing(from, to string) error {
	for deadline := time.Now().Add(busyFor); ; time.Sleep(10 * time.Millisecond) {
		err := os.Rename(from, to)
		if err == nil || !busy(err) || time.Now().After(deadline) {
			return err
		}
	}
}
