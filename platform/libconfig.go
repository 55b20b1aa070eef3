package platform

import (
	"fmt"
	"strings"

	"github.com/kardianos/service"
)

// libConfig is the kardianos/service configuration of cco's service on
// every OS: the unit and the plist as its SystemdScript and LaunchdConfig,
// and a per-user service. On Windows the library starts, stops and removes
// the service; cco creates it itself (scm_install.go), because the
// library's install leaves a half-created service behind when a step
// after the creation fails.
func libConfig(s ServiceSettings, name string) (*service.Config, error) {
	var unit, plist strings.Builder
	if err := RenderSystemdUnit(&unit, s); err != nil {
		return nil, err
	}
	if err := RenderLaunchdPlist(&plist, s); err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, e := range s.Env {
		env[e.Name] = e.Value
	}
	return &service.Config{
		Name:             name,
		DisplayName:      serviceDisplayName,
		Description:      serviceDescription,
		Executable:       s.Exe,
		Arguments:        s.Args,
		WorkingDirectory: s.WorkingDir,
		EnvVars:          env,
		Option: service.KeyValue{
			"UserService":   true,
			"SystemdScript": unit.String(),
			"LaunchdConfig": plist.String(),
		},
	}, nil
}

// noProgram is the Interface kardianos/service needs to manage a service
// from outside it: the daemon's own program runs only under `daemon run`.
type noProgram struct{}

func (noProgram) Start(service.Service) error { return nil }
func (noProgram) Stop(service.Service) error  { return nil }

// newLib is the library's handle on cco's service, under name.
func newLib(s ServiceSettings, name string) (service.Service, error) {
	c, err := libConfig(s, name)
	if err != nil {
		return nil, err
	}
	return service.New(noProgram{}, c)
}

// libInstall installs a unit or plist at path through the library (for
// systemd that also enables the unit and reloads the manager). The
// library refuses a file that exists, so one not just created is
// uninstalled first.
func libInstall(lib service.Service, path string, created bool) error {
	if !created {
		if err := lib.Uninstall(); err != nil {
			return fmt.Errorf("replacing %s: %w", path, err)
		}
	}
	if err := lib.Install(); err != nil {
		return fmt.Errorf("installing %s: %w", path, err)
	}
	return nil
}
