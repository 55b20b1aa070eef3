//go:build linux

package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/anthropics/cco/internal/testkit"
)

// Script commands for the lifecycle scripts. They find daemons through
// /proc (by their command line and CCO_HOME), which is Linux only.
func init() {
	commandSets = append(commandSets, map[string]scriptCmd{
		// cleanup-daemons: when the script ends, SIGKILL every daemon
		// running with this script's CCO_HOME, by PID.
		"cleanup-daemons": func(ts *testscript.TestScript, neg bool, args []string) {
			home := ts.Getenv("CCO_HOME")
			ts.Defer(func() { killDaemons(home) })
		},
		// daemons N: exactly N daemon processes run with this CCO_HOME.
		"daemons": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: daemons N")
			}
			pids := daemonPIDs(ts.Getenv("CCO_HOME"))
			if strconv.Itoa(len(pids)) != args[0] {
				ts.Fatalf("%d daemons run with this CCO_HOME (pids %v), want %s", len(pids), pids, args[0])
			}
		},
		// daemonpid VAR: $VAR = the pid in daemon.pid.
		"daemonpid": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: daemonpid VAR")
			}
			pid, err := pidFromFile(filepath.Join(ts.Getenv("CCO_HOME"), "daemon.pid"))
			ts.Check(err)
			ts.Setenv(args[0], strconv.Itoa(pid))
		},
		// alive PID: the process exists (! alive: it does not, or is a zombie).
		"alive": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 1 {
				ts.Fatalf("usage: [!] alive PID")
			}
			if testkit.Alive(atoi(ts, args[0])) == neg {
				ts.Fatalf("process %s alive: %v", args[0], !neg)
			}
		},
		// waitgone PID: wait until the process has exited.
		"waitgone": func(ts *testscript.TestScript, neg bool, args []string) {
			pid := atoi(ts, args[0])
			ts.Check(waitFor("pid "+args[0]+" to exit", func() (bool, error) { return !testkit.Alive(pid), nil }))
		},
		// killpid SIG PID: send TERM|KILL|USR1 to PID.
		"killpid": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: killpid TERM|KILL|USR1 PID")
			}
			sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1}[args[0]]
			if sig == 0 {
				ts.Fatalf("unknown signal %s", args[0])
			}
			ts.Check(syscall.Kill(atoi(ts, args[1]), sig))
		},
		// spawnsleep VAR: start an unrelated `sleep`, $VAR = its pid; it is
		// killed when the script ends.
		"spawnsleep": func(ts *testscript.TestScript, neg bool, args []string) {
			cmd := exec.Command("sleep", "600")
			ts.Check(cmd.Start())
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			ts.Defer(func() { cmd.Process.Kill(); <-done })
			ts.Setenv(args[0], strconv.Itoa(cmd.Process.Pid))
		},
		// writepidfile PID: a daemon.pid naming PID, as a daemon killed
		// with -9 leaves behind (the lock is free).
		"writepidfile": func(ts *testscript.TestScript, neg bool, args []string) {
			home := ts.Getenv("CCO_HOME")
			ts.Check(os.MkdirAll(home, 0o700))
			port, _ := strconv.Atoi(ts.Getenv("PORT"))
			data, _ := json.Marshal(map[string]any{
				"pid": atoi(ts, args[0]), "started_at": time.Now().UTC(), "host": "127.0.0.1",
				"port": port, "version": "e2e", "exe": "/usr/bin/sleep", "manager": "detached",
			})
			ts.Check(os.WriteFile(filepath.Join(home, "daemon.pid"), data, 0o600))
		},
	})
}

func atoi(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		ts.Fatalf("not a pid: %q", s)
	}
	return n
}

func pidFromFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var info struct{ PID int }
	if err := json.Unmarshal(data, &info); err != nil || info.PID <= 0 {
		return 0, fmt.Errorf("no pid in %s: %q", path, data)
	}
	return info.PID, nil
}

// daemonPIDs are the live `cco [daemon] run` processes whose environment
// has CCO_HOME=home.
func daemonPIDs(home string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !testkit.Alive(pid) {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if filepath.Base(args[0]) != "cco" {
			continue
		}
		rest := args[1:]
		if len(rest) > 0 && rest[0] == "daemon" {
			rest = rest[1:]
		}
		if len(rest) == 0 || rest[0] != "run" {
			continue
		}
		environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(environ), "\x00") {
			if kv == "CCO_HOME="+home {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// killDaemons SIGKILLs, by PID, every daemon of home, and waits for them.
func killDaemons(home string) {
	pids := daemonPIDs(home)
	for _, pid := range pids {
		testkit.Kill(pid)
	}
	for _, pid := range pids {
		_ = testkit.WaitExit(pid, waitLimit)
	}
}
