package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/anthropics/cco/server"
)

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
	cfg, err := loadConfig(*file, nil)
	if err != nil {
		return err
	}
	var res server.ReloadResult
	err = daemonRequest(ctx, cfg, http.MethodPost, "/api/reload", &res)
	var de *daemonError
	switch {
	case errors.Is(err, errDaemonDown):
		fmt.Fprintf(stderr, "cco is not running (nothing answers at %s); nothing to reload\n", cfg.URL())
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
