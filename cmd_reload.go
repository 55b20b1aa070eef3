package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/server"
)

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
	if cfg, derr := config.Load(config.Options{Home: home, File: filepath.Join(home, ".no-config")}); derr == nil {
		return cfg, nil
	}
	return nil, err
}

// cmdReload asks the running daemon to re-read its configuration (POST
// /api/reload with the daemon token) and reports what changed.
func cmdReload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reload", stdout)
	file := fs.String("config", "", "config file to use instead of CCO_HOME/config.toml (to find the daemon)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"reload takes no arguments"}
	}
	cfg, err := locateConfig(*file)
	if err != nil {
		return err
	}
	if m, ok := routedService(pathsIn(cfg.Home)); ok {
		if handled, err := serviceReload(ctx, m, pathsIn(cfg.Home), stdout, stderr); handled {
			return err
		}
	}
	var res server.ReloadResult
	err = daemonRequest(ctx, cfg, http.MethodPost, "/api/reload", &res)
	var de *daemonError
	switch {
	case errors.Is(err, errDaemonDown):
		fmt.Fprintf(stderr, "cco is not running (nothing answers at %s); nothing to reload\n", daemonURL(cfg))
		return errNotRunning
	case errors.As(err, &de) && de.status == http.StatusBadRequest:
		fmt.Fprintf(stderr, "cco reload: the new configuration was refused; the daemon keeps running with the old one:\n  %s\n", strings.ReplaceAll(de.msg, "\n", "\n  "))
		return errSilent{exitUsage}
	case err != nil:
		return fmt.Errorf("reloading: %w", err)
	}
	switch {
	case len(res.Applied) == 0 && len(res.RestartRequired) == 0:
		fmt.Fprintln(stdout, "configuration reloaded: nothing changed")
	case len(res.Applied) > 0:
		fmt.Fprintf(stdout, "configuration reloaded: applied %s\n", strings.Join(res.Applied, ", "))
	}
	if len(res.RestartRequired) > 0 {
		fmt.Fprintf(stdout, "changed but needing a restart to apply: %s (run 'cco daemon restart')\n", strings.Join(res.RestartRequired, ", "))
	}
	return nil
}
