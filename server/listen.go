package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// whoProbeWait bounds asking whoever holds the port what it is.
const whoProbeWait = 500 * time.Millisecond

// CheckListen says whether addr can be bound now, with the reason when it
// cannot: restart asks before it stops a daemon to listen somewhere new.
func CheckListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(addr, err)
	}
	return ln.Close()
}

// listenError explains why addr could not be bound, and what to do: a
// port held by another cco (another CCO_HOME's daemon, which 'cco status'
// here does not see) is named with its pid and home.
func listenError(addr string, err error) error {
	host, port, _ := net.SplitHostPort(addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("listening on %s: the address is already in use by %s; choose another port with --port (or 'cco config set port N')", addr, portHolder(host, port))
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("listening on %s: permission denied (ports below 1024 need privileges); choose another port with --port", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("listening on %s: %s is not an address of this machine; use 127.0.0.1 (the default), 0.0.0.0 for every interface, or one of this machine's own addresses with --host", addr, host)
	}
	return fmt.Errorf("listening on %s: %w", addr, err)
}

// portHolder says what listens on host:port: a cco daemon (asked over
// HTTP, as anyone on the machine may), or another program and how to find
// it.
func portHolder(host, port string) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), whoProbeWait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/api/status", nil)
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	if resp, err := c.Do(req); err == nil {
		defer resp.Body.Close()
		var st struct {
			Version string            `json:"version"`
			PID     int               `json:"pid"`
			Paths   map[string]string `json:"paths"`
		}
		if json.NewDecoder(resp.Body).Decode(&st) == nil && st.PID > 0 && st.Version != "" {
			if home := st.Paths["home"]; home != "" {
				return fmt.Sprintf("another cco daemon (pid %d, CCO_HOME %s; stop it with 'CCO_HOME=%s cco stop')", st.PID, home, home)
			}
			return fmt.Sprintf("another cco daemon (pid %d)", st.PID)
		}
	}
	return "another program (see which with: " + findListener(port) + ")"
}

func findListener(port string) string {
	if _, err := strconv.Atoi(port); err != nil {
		port = "PORT"
	}
	switch runtime.GOOS {
	case "linux":
		return "ss -ltnp 'sport = :" + port + "'"
	case "windows":
		return "netstat -ano | findstr :" + port
	}
	return "lsof -nP -iTCP:" + port + " -sTCP:LISTEN"
}
