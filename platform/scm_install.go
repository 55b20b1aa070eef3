package platform

import (
	"fmt"
	"strings"
	"time"
)

// scmService is what 'cco install' asks of the Windows Service Control
// Manager, as plain data: made from the service settings and the facts
// (facts.go) on any OS, so that what is installed is rendered into a golden
// file and the install's steps are tested where there is no SCM.
type scmService struct {
	Name        string
	DisplayName string
	Description string
	Exe         string
	Args        []string
	AutoStart   bool     // start type automatic, else manual
	Env         []EnvVar // the service's Environment value in the registry
	// Recovery: restart RestartDelay after a failure, a non-zero exit
	// counting as one, and forget failures after ResetPeriod.
	RestartDelay time.Duration
	ResetPeriod  time.Duration
}

func newSCMService(s ServiceSettings) (scmService, error) {
	if err := s.validate(); err != nil {
		return scmService{}, err
	}
	return scmService{
		Name: s.Name, DisplayName: serviceDisplayName, Description: serviceDescription,
		Exe: s.Exe, Args: s.Args, AutoStart: s.AutoStart, Env: s.Env,
		RestartDelay: RestartDelay, ResetPeriod: RecoveryResetPeriod,
	}, nil
}

// scmCalls are the Service Control Manager calls an install makes, one per
// step; service_windows.go implements them with golang.org/x/sys/windows
// and the tests with a fake, so the all-or-nothing logic is tested on any
// OS.
type scmCalls interface {
	Create(s scmService) error
	SetRecovery(s scmService) error
	SetRecoveryOnNonZeroExit(name string) error
	SetEnv(name string, env []EnvVar) error
	AddEventSource(name string) error
	Delete(name string) error
}

// InstallStepError says which step of a Windows install failed, and
// whether the service it had created was removed again.
type InstallStepError struct {
	Step        string
	Err         error
	RollbackErr error // removing the service failed too: it is left half-installed
	Name        string
}

func (e *InstallStepError) Error() string {
	msg := fmt.Sprintf("installing the Windows service: %s failed: %v", e.Step, e.Err)
	switch {
	case e.Step == stepCreate:
		return msg
	case e.RollbackErr != nil:
		return fmt.Sprintf("%s; removing the half-installed service failed too: %v (remove it with 'sc.exe delete %s')", msg, e.RollbackErr, e.Name)
	default:
		return msg + "; the service was removed again"
	}
}

func (e *InstallStepError) Unwrap() error { return e.Err }

const stepCreate = "creating the service"

// installSCMService creates the service and then configures it. An
// install is all or nothing: when a step after the creation fails, the
// service is deleted again, so that no half-configured service (one that
// recovery would not restart, say) is left behind.
func installSCMService(m scmCalls, s scmService) error {
	if err := m.Create(s); err != nil {
		return &InstallStepError{Step: stepCreate, Err: err, Name: s.Name}
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"setting the recovery action (restart after " + s.RestartDelay.String() + ")", func() error { return m.SetRecovery(s) }},
		{"setting recovery on a non-zero exit", func() error { return m.SetRecoveryOnNonZeroExit(s.Name) }},
		{"setting the service's environment", func() error { return m.SetEnv(s.Name, s.Env) }},
		// Last: the only step whose effect outlives the service, so it
		// never needs undoing.
		{"registering the event log source", func() error { return m.AddEventSource(s.Name) }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			return &InstallStepError{Step: st.what, Err: err, Name: s.Name, RollbackErr: m.Delete(s.Name)}
		}
	}
	return nil
}

// windowsCommandLine is the service's command line as the SCM stores it:
// each word quoted by the rules of syscall.EscapeArg (which exists only in
// the Windows build), so it can be rendered and compared on any OS.
func windowsCommandLine(exe string, args []string) string {
	words := make([]string, 0, 1+len(args))
	for _, a := range append([]string{exe}, args...) {
		words = append(words, windowsQuote(a))
	}
	return strings.Join(words, " ")
}

func windowsQuote(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, "\"\\ \t") {
		return s
	}
	space := strings.ContainsAny(s, " \t")
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	if space {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			// Backslashes before a quote are doubled, and the quote escaped.
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	if space {
		// Trailing backslashes would escape the closing quote.
		b.WriteString(strings.Repeat(`\`, slashes))
		b.WriteByte('"')
	}
	return b.String()
}
