package cli

import (
	"errors"
	"strings"

	"github.com/anthropics/cco/config"
	"github.com/spf13/pflag"
)

// loadConfig loads the effective configuration for a verb.
func loadConfig(file string, fs *pflag.FlagSet) (*config.Config, error) {
	home, err := config.HomeDir()
	if err != nil {
		return nil, err
	}
	return config.Load(config.Options{Home: home, File: file, Flags: fs})
}

// homePaths are CCO_HOME's files, for verbs that must work even when the
// config file is broken (stop, status, logs).
func homePaths() (config.Paths, error) {
	home, err := config.HomeDir()
	if err != nil {
		return config.Paths{}, err
	}
	return config.PathsIn(home), nil
}

// locateConfig is the configuration used to find the daemon. The file may
// be the very thing being fixed: when it is invalid, the environment and
// defaults still locate the daemon, which then reports what is wrong.
func locateConfig(file string) (*config.Config, error) {
	cfg, err := loadConfig(file, nil)
	if err == nil || !errors.Is(err, config.ErrInvalid) {
		return cfg, err
	}
	home, herr := config.HomeDir()
	if herr != nil {
		return nil, herr
	}
	if cfg, derr := config.Load(config.Options{Home: home, NoFile: true}); derr == nil {
		return cfg, nil
	}
	return nil, err
}

// daemonFlags are the config keys a verb that runs the daemon accepts.
var daemonFlags = []string{"port", "host", "cache_size", "cache_ttl", "log_level"}

// daemonArgs are the flags to hand a daemon so it runs as this command was
// asked to: the config flags given, with --config made absolute since the
// daemon runs from another directory.
func daemonArgs(fs *pflag.FlagSet, cfg *config.Config) []string {
	var out []string
	for _, a := range config.FlagArgs(fs) {
		if strings.HasPrefix(a, "--config=") {
			a = "--config=" + cfg.File
		}
		out = append(out, a)
	}
	return out
}
