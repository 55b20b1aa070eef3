package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// darwinPath is the PATH a LaunchAgent gets: launchd gives agents
// /usr/bin:/bin:/usr/sbin:/sbin only, without Homebrew's directories.
const darwinPath = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

var validServiceName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// serviceSettings are the facts every service file is rendered from.
// configFile is the --config given to install ("" for the default).
func serviceSettings(cfg *config.Config, configFile string) (platform.ServiceSettings, error) {
	exe, err := selfPath()
	if err != nil {
		return platform.ServiceSettings{}, err
	}
	args := append([]string{}, platform.ServiceArgs...)
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
	name := platform.InstalledName()
	if !validServiceName.MatchString(name) {
		return platform.ServiceSettings{}, fmt.Errorf("%s=%q: a service name is letters, digits, '.', '_' and '-'", platform.ServiceNameHook, name)
	}
	return platform.ServiceSettings{
		Name:       name,
		Exe:        exe,
		Args:       args,
		WorkingDir: cfg.Home,
		Env:        env,
		StdoutPath: filepath.Join(cfg.Home, "daemon.stdout.log"),
		StderrPath: filepath.Join(cfg.Home, "daemon.stderr.log"),
		AutoStart:  cfg.AutoStart,
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

// warnEnvOverrides notes CCO_<KEY> variables that a service will not see.
func warnEnvOverrides(w io.Writer) {
	for _, k := range config.Keys {
		if _, ok := os.LookupEnv(k.EnvName()); ok {
			fmt.Fprintf(w, "note: %s is set in this shell but the service will not see it; use 'cco config set %s VALUE' instead\n", k.EnvName(), k.Name)
		}
	}
}
