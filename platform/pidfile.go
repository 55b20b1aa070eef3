package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// PidInfo is daemon.pid: what a running daemon says about itself. The
// daemon writes it once it listens; it is a description, never proof of
// life (that is the lock's job).
type PidInfo struct {
	PID       int       `json:"pid"`
	StartedAt time.Time `json:"started_at"`
	Host      string    `json:"host"`
	Port      int       `json:"port"`
	Version   string    `json:"version"`
	Exe       string    `json:"exe"`
	// Start is the OS's mark of when the process started (ProcIdentity):
	// with Exe, what tells the daemon from another process with its PID.
	Start   string `json:"start,omitempty"`
	Manager string `json:"manager"`
	// Config is the config file the daemon loaded, Args the daemon's own
	// flags (so restart can start the next one the same way).
	Config string   `json:"config,omitempty"`
	Args   []string `json:"args,omitempty"`
}

// WritePidFile writes info atomically (0600), so a reader never sees half
// of it.
func WritePidFile(path string, info PidInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the pid file %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o600)
}

// maxPidFile bounds what is read of daemon.pid: cco writes a few hundred
// bytes.
const maxPidFile = 64 << 10

// ReadPidFile reads daemon.pid. A missing file is os.ErrNotExist; a file
// that does not parse is reported as such.
func ReadPidFile(path string) (PidInfo, error) {
	var info PidInfo
	data, err := ReadRegular(path, maxPidFile, NoFollow)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("reading the pid file %s: %w", path, err)
	}
	if info.PID <= 0 {
		return info, fmt.Errorf("reading the pid file %s: no valid pid in it", path)
	}
	return info, nil
}

// RemovePidFile removes daemon.pid; a file already gone is not an error.
func RemovePidFile(path string) error {
	if err := removeNow(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the pid file %s: %w", path, err)
	}
	return nil
}
