// Package cli is cco's command line: one file per verb, each a small
// handler that parses its own flags and writes only to the writers it is
// given, so tests call it directly. Main dispatches, turns signals into
// context cancellation and maps errors to exit codes; the process exits in
// package main only.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/anthropics/cco/config"
)

// Build is what the binary says about itself (set by main from -ldflags).
type Build struct{ Version, Commit string }

// Daemon runs the daemon in the foreground, once the run verb has parsed
// its flags and loaded its configuration. Package main provides it: the
// program there implements kardianos/service's Interface.
type Daemon func(ctx context.Context, r DaemonRun) error

// DaemonRun is what the run verb hands the daemon.
type DaemonRun struct {
	Config *config.Config
	// Reload re-reads the configuration as at start (same file,
	// environment and flags).
	Reload func() (*config.Config, error)
	Args   []string  // the daemon's own flags, recorded for restart
	Term   io.Writer // the terminal to log to as well, or nil
	Build  Build
	// Ready is called once the daemon serves (a detached start waits on it).
	Ready func()
}

// build and daemon are set once by Main, before any verb runs.
var (
	build  = Build{Version: "dev"}
	daemon Daemon
)

// Main runs the command line args and returns the process's exit code.
func Main(b Build, d Daemon, args []string, stdout, stderr io.Writer) int {
	build, daemon = b, d
	return run(args, stdout, stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "daemon" {
		args = args[1:]
	}
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 {
			if c, ok := findCommand(args[1]); ok && c.passthrough {
				newFlags(c.name, stdout).Usage()
				return exitOK
			}
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		printUsage(stdout)
		return exitOK
	case "--version", "-v":
		args = []string{"version"}
	}
	cmd, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "cco: unknown command %q\nRun 'cco --help' for the list of commands.\n", args[0])
		return exitUsage
	}
	return runInterruptible(cmd, args[1:], stdout, stderr)
}

// interruptGrace is how long a verb may take to return after SIGINT or
// SIGTERM (its context is cancelled at once) before it is abandoned: an
// interrupt must end every verb, even one blocked in a system call that no
// context reaches.
const interruptGrace = time.Second

// runInterruptible runs a verb with a context that SIGINT and SIGTERM
// cancel, and returns the shell's code for the signal (130, 143), so that
// main exits: at once when the verb returns, and at the latest after
// interruptGrace (or a second signal), abandoning a verb blocked where no
// context reaches. A verb that drains keeps its own exit code and its
// time.
func runInterruptible(cmd command, args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan int, 1)
	go func() { done <- exitCode(cmd.run(ctx, args, stdout, stderr), cmd.name, stderr) }()
	var sig os.Signal
	select {
	case code := <-done:
		return code
	case sig = <-sigs:
		cancel()
	}
	if cmd.drains {
		// The verb's own exit code says how its stop went (the daemon's
		// drain; a follow ended by Ctrl-C). Only a second Ctrl-C cuts the
		// drain short: repeated SIGTERMs (several 'cco stop' at once) must
		// not skip the cleanup that removes the pid file.
		for {
			select {
			case code := <-done:
				return code
			case again := <-sigs:
				if again == os.Interrupt {
					fmt.Fprintf(stderr, "cco %s: interrupted again (%s); not waiting for the drain\n", cmd.name, signalName(again))
					return signalExitCode(again)
				}
			}
		}
	} else {
		select {
		case <-done:
		case <-time.After(interruptGrace):
		case <-sigs:
		}
	}
	fmt.Fprintf(stderr, "cco %s: interrupted (%s)\n", cmd.name, signalName(sig))
	return signalExitCode(sig)
}

// signalName is a signal as a user knows it, not Go's "interrupt".
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "Ctrl-C, SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// signalExitCode is what shells report for a process ended by sig.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailure
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "cco: a local daemon for the Anthropic API (caching proxy and usage tracking)\n\n")
	fmt.Fprintf(w, "Usage:\n  cco [daemon] COMMAND [flags]\n\nCommands:\n")
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nEnvironment:\n  CCO_HOME   where cco keeps its files (default ~/.cco)\n  CCO_<KEY>  overrides a config key, e.g. CCO_PORT=3001\n")
	fmt.Fprintf(w, "\nRun 'cco COMMAND --help' for a command's flags.\n")
}
