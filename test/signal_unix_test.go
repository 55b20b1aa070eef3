//go:build unix

package test

import (
	"encoding/json"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	commandSets = append(commandSets, map[string]scriptCmd{
		// signal SIG URL: send SIG to the daemon whose /health answers at URL.
		"signal": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: signal TERM|INT|KILL|HUP HEALTH-URL")
			}
			sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL, "HUP": syscall.SIGHUP}[args[0]]
			if sig == 0 {
				ts.Fatalf("unknown signal %s", args[0])
			}
			_, body, err := httpStatus(args[1])
			ts.Check(err)
			var h struct{ PID int }
			ts.Check(json.NewDecoder(strings.NewReader(body)).Decode(&h))
			if h.PID <= 0 {
				ts.Fatalf("no pid in %s", body)
			}
			ts.Check(syscall.Kill(h.PID, sig))
		},
	})
}
