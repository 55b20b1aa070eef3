package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/anthropics/cco/server"
)

// requestShutdown asks the daemon at url to stop through its authenticated
// POST /api/shutdown, with the token from CCO_HOME/daemon.token (0600, so
// only the daemon's own user can read it). Windows has no SIGTERM: this is
// how stop asks there.
func requestShutdown(ctx context.Context, url, tokenPath string) error {
	token, err := server.ReadToken(tokenPath)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/shutdown", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := controlClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST /api/shutdown: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST /api/shutdown: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
