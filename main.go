// Command cco is a local daemon for the Anthropic API, and its own
// lifecycle manager. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/spf13/pflag"
)

// Exit codes. 3 is the LSB "program is not running" status.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitNotRunning = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one verb. Each handler parses its own flags and writes only to
// the writers it is given, so tests can call it directly.
type command struct {
	name    string
	args    string // shown after the verb in usage, e.g. "[--json]"
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// drains: the verb stops on its own once ctx ends, however long that
	// takes (the daemon drains its streams); other verbs are given
	// interruptGrace and then ended.
	drains bool
}

// interruptGrace is how long a verb may take to return after SIGINT or
// SIGTERM (its context is cancelled at once) before the process exits
// anyway: an interrupt must end every verb, even one blocked in a system
// call that no context reaches.
const interruptGrace = time.Second

// commands are the verbs; `cco daemon VERB` and `cco VERB` are the same.
func commands() []command {
	return []command{
		{"run", "[flags]", "run the daemon in the foreground (what a service manager runs)", cmdRun, true},
		{"start", "[flags] [--wait 30s]", "start the daemon in the background; returns once it is ready", cmdStart, false},
		{"stop", "[--timeout 10s]", "stop the daemon: SIGTERM, then SIGKILL after the timeout", cmdStop, false},
		{"restart", "[flags] [--timeout 10s] [--wait 30s]", "stop and start the daemon, keeping its flags", cmdRestart, false},
		{"status", "[--json]", "whether the daemon runs, its pid, URL, health and files (exit 3: not running)", cmdStatus, false},
		{"logs", "[-n 50] [-f]", "print the daemon's last log lines; -f follows across rotation", cmdLogs, false},
		{"install", "[--start] [--config FILE]", "install the per-user OS service (systemd user unit, LaunchAgent, Windows service)", cmdInstall, false},
		{"uninstall", "", "stop and remove the OS service", cmdUninstall, false},
		{"enable", "", "start the installed service automatically at login", cmdEnable, false},
		{"disable", "", "do not start the installed service at login", cmdDisable, false},
		{"stats", "[--since 24h] [--until TIME] [--json]", "usage and estimated cost of the calls cco proxied", cmdStats, false},
		{"reload", "", "make the running daemon re-read its configuration (also SIGHUP)", cmdReload, false},
		{"config", "show|get KEY|set KEY VALUE|unset KEY|path|validate", "show or change the configuration", cmdConfig, false},
		{"dashboard", "[--print] [--port N] [--host H]", "open the dashboard page in a browser (or print its URL)", cmdDashboard, false},
		{"version", "", "print version, commit, Go version and platform", cmdVersion, false},
	}
}

// usageError is a mistake on the command line: exit 2 with a short usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errNotRunning makes a verb exit 3 after printing its own message.
var errNotRunning = errors.New("not running")

// errSilent is an error the handler has already reported.
type errSilent struct{ code int }

func (e errSilent) Error() string { return fmt.Sprintf("exit %d", e.code) }

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

// runInterruptible runs a verb with a context that SIGINT and SIGTERM
// cancel. A verb that does not return within interruptGrace (or at a
// second signal) is abandoned, and run returns the shell's code for the
// signal, so that main exits.
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
	var grace <-chan time.Time
	if !cmd.drains {
		grace = time.After(interruptGrace)
	}
	select {
	case code := <-done:
		return code
	case <-grace:
	case <-sigs:
	}
	fmt.Fprintf(stderr, "cco %s: interrupted (%v)\n", cmd.name, sig)
	return signalExitCode(sig)
}

// signalExitCode is what shells report for a process ended by sig.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailure
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// exitCode reports err once and maps it to the process's exit status.
func exitCode(err error, verb string, stderr io.Writer) int {
	var silent errSilent
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &silent):
		return silent.code
	case errors.Is(err, errNotRunning):
		return exitNotRunning
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "cco %s: %s\nRun 'cco %s --help' for usage.\n", verb, usage.msg, verb)
		return exitUsage
	case errors.Is(err, config.ErrInvalid):
		fmt.Fprintf(stderr, "cco %s: invalid configuration:\n  %s\n", verb, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "cco %s: %s\n", verb, err)
		return exitFailure
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "cco: a local daemon for the Anthropic API (caching proxy and usage tracking)\n\n")
	fmt.Fprintf(w, "Usage:\n  cco [daemon] COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nEnvironment:\n  CCO_HOME   where cco keeps its files (default ~/.cco)\n  CCO_<KEY>  overrides a config key, e.g. CCO_PORT=3001\n")
	fmt.Fprintf(w, "\nRun 'cco COMMAND --help' for a command's flags.\n")
}

// newFlags makes a verb's flag set; --help prints the verb's usage.
func newFlags(c string, stdout io.Writer) *pflag.FlagSet {
	cmd, _ := findCommand(c)
	fs := pflag.NewFlagSet("cco "+c, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: cco %s %s\n\n%s\n", c, cmd.args, cmd.summary)
		if fs.HasFlags() {
			fmt.Fprintf(stdout, "\nFlags:\n%s", fs.FlagUsages())
		}
	}
	return fs
}

// parseFlags parses args, turning pflag's errors into usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return err // pflag has printed the usage
	}
	if err != nil {
		return usageError{err.Error()}
	}
	return nil
}
