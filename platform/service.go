package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ServiceSettings is what a service file says about the daemon beyond the
// facts every install shares (facts.go). It is plain data so that each
// OS's file is rendered from the same settings, and so rendering can be
// tested on any OS.
type ServiceSettings struct {
	Name       string   // systemd unit name without ".service"; Windows service name
	Exe        string   // absolute path of the cco binary
	Args       []string // e.g. daemon run
	WorkingDir string
	Env        []EnvVar // in the order they are written
	StdoutPath string   // launchd only: systemd sends output to the journal
	StderrPath string
	AutoStart  bool // Windows start type (systemd and launchd enable separately)
}

// EnvVar is one environment variable given to the service.
type EnvVar struct{ Name, Value string }

// Command is the argv the service manager runs.
func (s ServiceSettings) Command() []string { return append([]string{s.Exe}, s.Args...) }

// ServiceStatus is what a service manager says about the installed service.
type ServiceStatus struct {
	Manager   string // systemd, launchd, windows
	Installed bool
	Path      string // the unit or plist file (Windows: the service name)
	Enabled   bool   // starts at login (or boot)
	State     string // the manager's own words, e.g. "active (running)"
	Running   bool
	MainPID   int
	Restarts  int // -1 when the manager does not count them
	Exe       string
	Linger    *bool // Linux only: nil when unknown
}

// InstallResult says what Install did.
type InstallResult struct {
	Created bool
	Changes []string // what differed from the file that was there
}

// Changed reports whether the file was written.
func (r InstallResult) Changed() bool { return r.Created || len(r.Changes) > 0 }

// ServiceManager is one OS's service manager acting on cco's service. The
// implementations take their directory and command runner from the caller,
// so tests point them at temp dirs and fakes.
type ServiceManager interface {
	Kind() string
	Path() string
	Installed() (bool, error)
	Install(ctx context.Context) (InstallResult, error)
	Uninstall(ctx context.Context) (removed bool, err error)
	Enable(ctx context.Context) error
	Disable(ctx context.Context) error
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Restart(ctx context.Context) error
	Reload(ctx context.Context) error
	Status(ctx context.Context) (ServiceStatus, error)
}

// ErrNoServiceManager means the OS's service manager cannot be reached (no
// systemd, no user bus, no launchd). Such errors are *NoManagerError.
var ErrNoServiceManager = errors.New("no service manager")

// NoManagerError says in one line why there is no service manager to use.
type NoManagerError struct{ Reason string }

func (e *NoManagerError) Error() string        { return e.Reason }
func (e *NoManagerError) Is(target error) bool { return target == ErrNoServiceManager }

func noManager(format string, args ...any) error {
	return &NoManagerError{Reason: fmt.Sprintf(format, args...)}
}

// ErrNotInstalled is returned by verbs that need the service installed.
var ErrNotInstalled = errors.New("the service is not installed")

// Renderer writes a service file from settings.
type Renderer func(w io.Writer, s ServiceSettings) error

// validate rejects settings no service file can express.
func (s ServiceSettings) validate() error {
	if s.Exe == "" {
		return errors.New("the service settings have no executable path")
	}
	for _, v := range append(s.Command(), s.WorkingDir, s.StdoutPath, s.StderrPath) {
		for _, r := range v {
			if r == '\n' || r == '\r' || r == 0 {
				return fmt.Errorf("%q contains a control character that a service file cannot hold; move cco to a simpler path", v)
			}
		}
		// kardianos/service expands {{...}} in the unit and plist it is
		// given as its template.
		if strings.Contains(v, "{{") {
			return fmt.Errorf("%q contains \"{{\", which the service library would read as a template; move cco to a simpler path", v)
		}
	}
	for _, e := range s.Env {
		if e.Name == "" {
			return errors.New("an environment variable of the service has no name")
		}
		for _, r := range e.Name + e.Value {
			if r == '\n' || r == '\r' || r == 0 {
				return fmt.Errorf("environment variable %s contains a control character that a service file cannot hold", e.Name)
			}
		}
		if strings.Contains(e.Name+e.Value, "{{") {
			return fmt.Errorf("environment variable %s contains \"{{\", which the service library would read as a template", e.Name)
		}
	}
	return nil
}

// ServiceOptions are what NewServiceManager needs from the caller; the
// directories come from here, never from the library's own guesses.
type ServiceOptions struct {
	Settings      ServiceSettings
	Home          string // the user's home directory
	XDGConfigHome string // $XDG_CONFIG_HOME, honoured on Linux
	Runner        Runner // nil: ExecRunner
}

func (o ServiceOptions) runner() Runner {
	if o.Runner == nil {
		return ExecRunner{}
	}
	return o.Runner
}
