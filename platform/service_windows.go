package platform

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// NewServiceManager returns the Windows service manager. kardianos/service
// deletes, starts, stops and restarts the service; cco's own code creates
// it, all or nothing (scm_install.go: the library's install leaves a
// half-created service behind when setting its recovery fails), updates an
// installed service (the library refuses one that exists), sets the start
// type (enable/disable), reads its status, and says when elevation is
// needed.
func NewServiceManager(o ServiceOptions) (ServiceManager, error) {
	return &winService{s: o.Settings}, nil
}

type winService struct{ s ServiceSettings }

func (w *winService) Kind() string { return "windows" }
func (w *winService) Path() string { return `service ` + w.s.Name }

func (w *winService) lib() (service.Service, error) { return newLib(w.s, w.s.Name) }

// elevated turns "access denied" into the one thing the user must do.
func elevated(what string, err error) error {
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) || strings.Contains(strings.ToLower(err.Error()), "access is denied") {
		return fmt.Errorf("%s needs an elevated prompt: open a terminal with 'Run as administrator' and run the command again", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (w *winService) Installed() (bool, error) {
	_, err := w.query()
	if errors.Is(err, ErrNotInstalled) {
		return false, nil
	}
	return err == nil, err
}

func (w *winService) query() (mgr.Config, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return mgr.Config{}, noManager("cannot reach the Windows service manager: %v", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	sh, err := windows.OpenService(h, syscall.StringToUTF16Ptr(w.s.Name), windows.SERVICE_QUERY_CONFIG|windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return mgr.Config{}, ErrNotInstalled
	}
	if err != nil {
		return mgr.Config{}, err
	}
	s := &mgr.Service{Handle: sh, Name: w.s.Name}
	defer s.Close()
	return s.Config()
}

func (w *winService) binaryPath() string { return windowsCommandLine(w.s.Exe, w.s.Args) }

func (w *winService) Install(ctx context.Context) (InstallResult, error) {
	cur, err := w.query()
	if errors.Is(err, ErrNotInstalled) {
		return InstallResult{Created: true}, w.create()
	}
	if err != nil {
		return InstallResult{}, err
	}
	var res InstallResult
	if cur.BinaryPathName != w.binaryPath() {
		res.Changes = append(res.Changes, fmt.Sprintf("binary: %q -> %q", cur.BinaryPathName, w.binaryPath()))
	}
	if cur.DisplayName != serviceDisplayName || cur.Description != serviceDescription {
		res.Changes = append(res.Changes, "display name or description")
	}
	if len(res.Changes) == 0 {
		return res, nil
	}
	err = w.withService(windows.SERVICE_ALL_ACCESS, func(s *mgr.Service) error {
		cur.BinaryPathName, cur.DisplayName, cur.Description = w.binaryPath(), serviceDisplayName, serviceDescription
		if err := s.UpdateConfig(cur); err != nil {
			return err
		}
		return w.setEnv()
	})
	if err != nil {
		return res, elevated("updating the Windows service", err)
	}
	return res, nil
}

// create makes the service, all or nothing (installSCMService): a step
// that fails after the creation removes the service again.
func (w *winService) create() error {
	c, err := newSCMService(w.s)
	if err != nil {
		return err
	}
	err = installSCMService(winSCM{}, c)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return fmt.Errorf("%w; 'cco install' needs an elevated prompt: open a terminal with 'Run as administrator' and run the command again", err)
	}
	return err
}

// winSCM is the real Service Control Manager behind an install's steps.
type winSCM struct{}

func (winSCM) Create(c scmService) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	start := uint32(mgr.StartManual)
	if c.AutoStart {
		start = mgr.StartAutomatic
	}
	s, err := m.CreateService(c.Name, c.Exe, mgr.Config{
		DisplayName: c.DisplayName, Description: c.Description, StartType: start,
		ServiceType: windows.SERVICE_WIN32_OWN_PROCESS,
	}, c.Args...)
	if err != nil {
		return err
	}
	return s.Close()
}

func (winSCM) SetRecovery(c scmService) error {
	w := &winService{s: ServiceSettings{Name: c.Name}}
	return w.withService(windows.SERVICE_ALL_ACCESS, func(s *mgr.Service) error {
		return s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: c.RestartDelay}}, uint32(c.ResetPeriod.Seconds()))
	})
}

func (winSCM) SetRecoveryOnNonZeroExit(name string) error {
	w := &winService{s: ServiceSettings{Name: name}}
	return w.withService(windows.SERVICE_ALL_ACCESS, func(s *mgr.Service) error {
		return s.SetRecoveryActionsOnNonCrashFailures(true)
	})
}

func (winSCM) SetEnv(name string, env []EnvVar) error {
	return (&winService{s: ServiceSettings{Name: name, Env: env}}).setEnv()
}

// AddEventSource registers the event log source that the library's
// uninstall removes (and that it logs to under the SCM); one left by an
// earlier install is fine.
func (winSCM) AddEventSource(name string) error {
	err := eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info)
	if err != nil && !strings.Contains(err.Error(), "exists") {
		return err
	}
	return nil
}

func (winSCM) Delete(name string) error {
	w := &winService{s: ServiceSettings{Name: name}}
	return w.withService(windows.SERVICE_ALL_ACCESS, func(s *mgr.Service) error { return s.Delete() })
}

func (w *winService) setEnv() error {
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\`+w.s.Name, registry.SET_VALUE)
	if err != nil {
		return elevated("setting the service's environment", err)
	}
	defer k.Close()
	var env []string
	for _, e := range w.s.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	if len(env) == 0 {
		_ = k.DeleteValue("Environment")
		return nil
	}
	return k.SetStringsValue("Environment", env)
}

func (w *winService) withService(access uint32, f func(*mgr.Service) error) error {
	// Connect-only rights on the manager: what needs elevation is decided by
	// the access asked of the service itself.
	mh, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return err
	}
	m := &mgr.Mgr{Handle: mh}
	defer m.Disconnect()
	h, err := windows.OpenService(m.Handle, syscall.StringToUTF16Ptr(w.s.Name), access)
	if err != nil {
		return err
	}
	s := &mgr.Service{Handle: h, Name: w.s.Name}
	defer s.Close()
	return f(s)
}

func (w *winService) Uninstall(ctx context.Context) (bool, error) {
	installed, err := w.Installed()
	if err != nil || !installed {
		return false, err
	}
	_ = w.Stop(ctx)
	lib, err := w.lib()
	if err != nil {
		return false, err
	}
	if err := lib.Uninstall(); err != nil {
		return false, elevated("removing the Windows service", err)
	}
	return true, nil
}

func (w *winService) setStartType(t uint32) error {
	err := w.withService(windows.SERVICE_CHANGE_CONFIG|windows.SERVICE_QUERY_CONFIG, func(s *mgr.Service) error {
		c, err := s.Config()
		if err != nil {
			return err
		}
		c.StartType = t
		return s.UpdateConfig(c)
	})
	if err != nil {
		return elevated("changing the service's start type", err)
	}
	return nil
}

func (w *winService) Enable(ctx context.Context) error  { return w.setStartType(mgr.StartAutomatic) }
func (w *winService) Disable(ctx context.Context) error { return w.setStartType(mgr.StartManual) }

func (w *winService) libDo(what string, f func(service.Service) error) error {
	lib, err := w.lib()
	if err != nil {
		return err
	}
	if err := f(lib); err != nil {
		return elevated(what, err)
	}
	return nil
}

func (w *winService) Start(ctx context.Context) error {
	return w.libDo("starting the Windows service", service.Service.Start)
}
func (w *winService) Stop(ctx context.Context) error {
	return w.libDo("stopping the Windows service", service.Service.Stop)
}
func (w *winService) Restart(ctx context.Context) error {
	return w.libDo("restarting the Windows service", service.Service.Restart)
}

// Reload: Windows services get no SIGHUP; the daemon's HTTP reload is used.
func (w *winService) Reload(ctx context.Context) error {
	return errors.New("the Windows service manager cannot reload a service; cco reloads through its own API")
}

func (w *winService) Status(ctx context.Context) (ServiceStatus, error) {
	st := ServiceStatus{Manager: w.Kind(), Path: w.Path(), Restarts: -1}
	cfg, err := w.query()
	if errors.Is(err, ErrNotInstalled) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Installed = true
	st.Enabled = cfg.StartType == mgr.StartAutomatic
	if words, err := windows.DecomposeCommandLine(cfg.BinaryPathName); err == nil && len(words) > 0 {
		st.Exe = words[0]
	}
	err = w.withService(windows.SERVICE_QUERY_STATUS, func(s *mgr.Service) error {
		q, err := s.Query()
		if err != nil {
			return err
		}
		st.MainPID = int(q.ProcessId)
		st.Running = q.State == svc.Running
		st.State = map[svc.State]string{svc.Stopped: "stopped", svc.StartPending: "starting", svc.StopPending: "stopping",
			svc.Running: "running", svc.ContinuePending: "continuing", svc.PausePending: "pausing", svc.Paused: "paused"}[q.State]
		return nil
	})
	return st, err
}

// StopService asks the Service Control Manager to stop the service name:
// how the daemon, running under it, ends itself cleanly.
func StopService(name string) error {
	w := &winService{s: ServiceSettings{Name: name}}
	return w.withService(windows.SERVICE_STOP, func(s *mgr.Service) error {
		_, err := s.Control(svc.Stop)
		return err
	})
}
