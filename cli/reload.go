package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/server"
)

// cmdReload asks the running daemon to re-read its configuration (POST
// /api/reload with the daemon token) and reports what changed.
func cmdReload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reload", stdout)
	file := fs.String("config", "", "the config `FILE` to use instead of CCO_HOME/config.toml (to find the daemon)")
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := locateConfig(*file)
	if err != nil {
		return err
	}
	c := client.ForConfig(cfg)
	if m, ok := installedService(cfg.Home); ok {
		if handled, err := serviceReload(ctx, m, c, stdout, stderr); handled {
			return err
		}
	}
	res, err := c.Reload(ctx)
	var ae *client.APIError
	switch {
	case errors.Is(err, client.ErrNotRunning):
		fmt.Fprintf(stderr, "cco is not running (nothing answers at %s); nothing to reload\n", c.URL())
		return errNotRunning
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
		fmt.Fprintf(stderr, "cco reload: the new configuration was refused; the daemon keeps running with the old one:\n  %s\n", strings.ReplaceAll(ae.Message, "\n", "\n  "))
		return errSilent{exitUsage}
	case err != nil:
		return fmt.Errorf("reloading: %w", err)
	}
	reportReload(stdout, *res)
	return nil
}

// reportReload says what a reload applied and what waits for a restart.
func reportReload(w io.Writer, res server.ReloadResult) {
	switch {
	case len(res.Applied) == 0 && len(res.RestartRequired) == 0:
		fmt.Fprintln(w, "configuration reloaded: nothing changed")
	case len(res.Applied) > 0:
		fmt.Fprintf(w, "configuration reloaded: applied %s\n", strings.Join(res.Applied, ", "))
	}
	if len(res.RestartRequired) > 0 {
		fmt.Fprintf(w, "changed but needing a restart to apply: %s (run 'cco restart')\n", strings.Join(res.RestartRequired, ", "))
	}
}
