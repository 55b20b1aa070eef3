package platform

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// ProcIdentity is what the OS says about a process beyond its PID: the
// executable it runs and an opaque mark of when it started. A daemon
// records its own in daemon.pid; a reader compares it with what the OS
// says of the PID now, so that a pid file naming an unrelated process (or
// a reused PID) never passes for the daemon.
type ProcIdentity struct {
	Exe   string `json:"exe"`
	Start string `json:"start"` // OS-specific, compared for equality only
}

// SelfIdentity is this process's identity, as IdentityOf would read it.
func SelfIdentity() (ProcIdentity, error) {
	p, err := OpenProcess(pidSelf())
	if err != nil {
		return ProcIdentity{}, err
	}
	defer p.Close()
	return IdentityOf(p)
}

// sameExe compares executable paths as the OS reports them: Linux appends
// " (deleted)" once the file was replaced (an upgrade under a running
// daemon), and Windows paths are case-insensitive.
func sameExe(a, b string) bool {
	a, b = strings.TrimSuffix(a, " (deleted)"), strings.TrimSuffix(b, " (deleted)")
	a, b = filepath.Clean(a), filepath.Clean(b)
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// Matches reports whether id (read from the OS now) is the process that
// recorded want. Without a recorded start (a pid file of an older cco) the
// executable alone decides.
func (id ProcIdentity) Matches(want ProcIdentity) bool {
	if want.Exe != "" && !sameExe(id.Exe, want.Exe) {
		return false
	}
	return want.Start == "" || id.Start == want.Start
}

// IdentityError says that a PID is not certainly the daemon: nothing may
// be signalled on its word.
type IdentityError struct {
	PidFilePID int // what daemon.pid names (0: unreadable or missing)
	HolderPID  int // who holds daemon.lock, when the OS says (0: unknown)
	Msg        string
	Err        error // what made it uncertain, when something failed
}

func (e *IdentityError) Error() string { return e.Msg }

func (e *IdentityError) Unwrap() error { return e.Err }

// ErrNotCertain matches every *IdentityError.
var ErrNotCertain = errors.New("the daemon's identity is not certain")

func (e *IdentityError) Is(target error) bool { return target == ErrNotCertain }

// Daemon is the process established to be the running daemon.
type Daemon struct {
	PID int
	// PidFileWrong: daemon.pid named another PID (its PID is in
	// PidFilePID); the daemon was found by the lock instead.
	PidFileWrong bool
	PidFilePID   int
	How          string // how it was established, for messages
	// ByKernel: the OS named the lock holder. Otherwise the pid file's
	// PID merely runs what the file records, and the caller must also
	// have the daemon prove it knows CCO_HOME's token (client.Prove).
	ByKernel bool
}

// Identify establishes which process is the daemon that holds lockPath,
// given the pid file read while the lock was held (nil when unreadable).
// On Linux the kernel's lock table names the holder; elsewhere the pid
// file's PID must be alive and run the executable, started at the moment,
// that the pid file records. It never signals anything.
func Identify(lockPath string, info *PidInfo) (Daemon, error) {
	holder, err := LockHolder(lockPath)
	switch {
	case err == nil && holder == 0, errors.Is(err, ErrHolderExiting):
		return Daemon{}, ErrNotLocked
	case err == nil:
		return identifyHolder(holder, info)
	case !errors.Is(err, ErrHolderUnknown):
		return Daemon{}, err
	}
	if info == nil {
		return Daemon{}, &IdentityError{Msg: fmt.Sprintf("a cco daemon holds %s, but its pid file is unreadable and this OS cannot say which process holds the lock; nothing was signalled", lockPath)}
	}
	if err := confirmByIdentity(info); err != nil {
		return Daemon{}, err
	}
	return Daemon{PID: info.PID, PidFilePID: info.PID, How: "its pid file's executable and start time"}, nil
}

// ErrNotLocked means nobody holds the lock any more.
var ErrNotLocked = errors.New("no daemon holds the lock")

// identifyHolder checks the kernel's answer against the pid file. When they
// disagree, the holder is the daemon only if it certainly runs cco's daemon.
func identifyHolder(holder int, info *PidInfo) (Daemon, error) {
	d := Daemon{PID: holder, How: "the kernel's lock table", ByKernel: true}
	named := "its pid file is unreadable"
	if info != nil {
		d.PidFilePID = info.PID
		d.PidFileWrong = info.PID != holder
		named = fmt.Sprintf("daemon.pid names pid %d, which does not hold the lock", info.PID)
		if !d.PidFileWrong {
			named = fmt.Sprintf("daemon.pid names pid %d", info.PID)
		}
	} else {
		d.PidFileWrong = true
	}
	// Whatever the pid file says, only cco's own daemon is ever the target.
	if ok, what := runsDaemon(holder); !ok {
		return Daemon{}, &IdentityError{PidFilePID: d.PidFilePID, HolderPID: holder, Msg: fmt.Sprintf(
			"%s; the lock is held by pid %d, which is not a cco daemon (%s); nothing was signalled: see 'ps -o pid,args -p %d', stop that process yourself, then run 'cco status'",
			named, holder, what, holder)}
	}
	return d, nil
}

// confirmByIdentity checks that the pid file's PID is the process that
// wrote it. A pid file that does not record both (exe and start) cannot be
// checked, and is not trusted.
func confirmByIdentity(info *PidInfo) error {
	if info.Exe == "" || info.Start == "" {
		return &IdentityError{PidFilePID: info.PID, Msg: fmt.Sprintf("daemon.pid names pid %d but does not record its executable and start time, so it cannot be checked; nothing was signalled: if pid %d is the cco daemon, stop it yourself (kill %d), then run 'cco status'", info.PID, info.PID, info.PID)}
	}
	p, err := OpenProcess(info.PID)
	if errors.Is(err, ErrProcessGone) {
		return &IdentityError{PidFilePID: info.PID, Msg: fmt.Sprintf("a cco daemon holds the lock, but daemon.pid names pid %d, which does not exist; nothing was signalled: find the daemon with your process list, stop it, then run 'cco status'", info.PID)}
	}
	if err != nil {
		return err
	}
	defer p.Close()
	id, err := IdentityOf(p)
	if err != nil && (p.Exited() || processExiting(info.PID)) {
		return ErrNotLocked // exiting: the lock is about to be free
	}
	if err != nil {
		return fmt.Errorf("checking pid %d named by daemon.pid: %w", info.PID, err)
	}
	want := ProcIdentity{Exe: info.Exe, Start: info.Start}
	if !id.Matches(want) {
		return &IdentityError{PidFilePID: info.PID, Msg: fmt.Sprintf(
			"daemon.pid names pid %d, but that process is not the daemon that wrote it (it runs %s); nothing was signalled: find the cco daemon with your process list, stop it, then run 'cco status'",
			info.PID, orUnknownExe(id.Exe))}
	}
	return nil
}

func orUnknownExe(s string) string {
	if s == "" {
		return "an unknown program"
	}
	return s
}
