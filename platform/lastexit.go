package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// LastExit is daemon.exit: why the daemon's last run failed, written by
// the daemon as it exits with an error and removed once a run is ready.
// It lets status explain a daemon a service manager keeps restarting,
// without reading the log as if it were a protocol.
type LastExit struct {
	Time  time.Time `json:"time"`
	Error string    `json:"error"`
	PID   int       `json:"pid"`
}

// WriteLastExit records a failed run (atomically, 0600).
func WriteLastExit(path string, e LastExit) error {
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("recording why the daemon failed: %w", err)
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o600)
}

// ReadLastExit reads daemon.exit; a missing one is (nil, nil): the last
// run did not fail, or nothing recorded it.
func ReadLastExit(path string) (*LastExit, error) {
	data, err := ReadRegular(path, maxPidFile, NoFollow)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var e LastExit
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return &e, nil
}

// ClearLastExit removes daemon.exit once a run is up.
func ClearLastExit(path string) error {
	if err := removeNow(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}
