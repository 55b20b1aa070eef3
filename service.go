package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// Service timings: systemd's RestartSec and launchd's ThrottleInterval, and
// the watchdog the daemon feeds while its self-check passes.
const (
	serviceRestartSec  = 10 * time.Second
	serviceWatchdogSec = 30 * time.Second
	serviceLabel       = "com.anthropic.cco.daemon"
	darwinPath         = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
)

// serviceNameHook renames the systemd unit (and Windows service): a test
// hook, so that tests running at the same time under different user
// managers never share a unit name, and with it a cgroup.
const serviceNameHook = "CCO_SERVICE_NAME"

var validServiceName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// serviceSettings are the facts every service file is rendered from.
// configFile is the --config given to install ("" for the default).
func serviceSettings(cfg *config.Config, configFile string) (platform.ServiceSettings, error) {
	exe, err := selfPath()
	if err != nil {
		return platform.ServiceSettings{}, err
	}
	sc := serviceConfig()
	args := append([]string{}, sc.Arguments...)
	if configFile != "" {
		abs, err := filepath.Abs(configFile)
		if err != nil {
			return platform.ServiceSettings{}, fmt.Errorf("resolving --config %s: %w", configFile, err)
		}
		args = append(args, "--config", abs)
	}
	var env []platform.EnvVar
	// A service does not inherit the shell's environment: CCO_HOME must be
	// spelled out unless it is the default, and on Windows the service runs
	// as LocalSystem, whose home is not the user's.
	if def, err := defaultHome(); err != nil || def != cfg.Home || runtime.GOOS == "windows" {
		env = append(env, platform.EnvVar{Name: "CCO_HOME", Value: cfg.Home})
	}
	if runtime.GOOS == "darwin" {
		// launchd gives agents /usr/bin:/bin:/usr/sbin:/sbin only.
		env = append(env, platform.EnvVar{Name: "PATH", Value: darwinPath})
	}
	name := sc.Name
	if n := os.Getenv(serviceNameHook); n != "" {
		if !validServiceName.MatchString(n) {
			return platform.ServiceSettings{}, fmt.Errorf("%s=%q: a service name is letters, digits, '.', '_' and '-'", serviceNameHook, n)
		}
		name = n
	}
	return platform.ServiceSettings{
		Name:        name,
		Label:       serviceLabel,
		DisplayName: sc.DisplayName,
		Description: sc.Description,
		Exe:         exe,
		Args:        args,
		WorkingDir:  cfg.Home,
		Env:         env,
		StdoutPath:  filepath.Join(cfg.Home, "daemon.stdout.log"),
		StderrPath:  filepath.Join(cfg.Home, "daemon.stderr.log"),
		RestartSec:  serviceRestartSec,
		WatchdogSec: serviceWatchdogSec,
		AutoStart:   cfg.AutoStart,
	}, nil
}

func defaultHome() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cco"), nil
}

// selfPath is the absolute path of this binary as the user reached it: a
// symlink such as /opt/homebrew/bin/cco is kept (it survives upgrades,
// the versioned file it points at does not) when it is the same file as
// the running executable.
func selfPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the path of the cco binary: %w", err)
	}
	arg0 := os.Args[0]
	if !strings.ContainsRune(arg0, filepath.Separator) {
		if p, err := exec.LookPath(arg0); err == nil {
			arg0 = p
		}
	}
	if abs, err := filepath.Abs(arg0); err == nil {
		a, errA := os.Stat(abs)
		b, errB := os.Stat(exe)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return abs, nil
		}
	}
	return exe, nil
}

// newServiceManager is the OS's service manager for cco's service.
func newServiceManager(cfg *config.Config, configFile string) (platform.ServiceManager, error) {
	s, err := serviceSettings(cfg, configFile)
	if err != nil {
		return nil, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("finding the home directory for the service file: %w", err)
	}
	return platform.NewServiceManager(platform.ServiceOptions{
		Settings:      s,
		Home:          home,
		XDGConfigHome: os.Getenv("XDG_CONFIG_HOME"),
	})
}

// installedService returns the service manager when cco's service is
// installed, so that start/stop/restart/reload/status go through it.
// Anything short of a usable, installed service returns ok=false.
func installedService(cfg *config.Config) (platform.ServiceManager, bool) {
	m, err := newServiceManager(cfg, "")
	if err != nil {
		return nil, false
	}
	installed, err := m.Installed()
	return m, err == nil && installed
}

// serviceError makes a missing manager one plain line, without the
// "doing what" prefixes wrapped around it.
func serviceError(err error) error {
	var nm *platform.NoManagerError
	if errors.As(err, &nm) {
		return nm
	}
	return err
}

// warnEnvOverrides notes CCO_<KEY> variables that a service will not see.
func warnEnvOverrides(w io.Writer) {
	for _, k := range config.Keys {
		if _, ok := os.LookupEnv(k.EnvName()); ok {
			fmt.Fprintf(w, "note: %s is set in this shell but the service will not see it; use 'cco config set %s VALUE' instead\n", k.EnvName(), k.Name)
		}
	}
}
