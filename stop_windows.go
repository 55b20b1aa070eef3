package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/anthropics/cco/platform"
)

// askToStop asks the daemon over its authenticated POST /api/shutdown:
// Windows has no SIGTERM, and the token file (0600, in CCO_HOME) proves
// the request comes from the daemon's own user.
func askToStop(ctx context.Context, proc *platform.Process, info platform.PidInfo, paths daemonPaths) error {
	token, err := os.ReadFile(paths.Token)
	if err != nil {
		return fmt.Errorf("reading the control token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, infoURL(info)+"/api/shutdown", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := probeClient.Do(req)
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

// termName is what the graceful request is called in messages.
const termName = "the shutdown request"
