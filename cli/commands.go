package cli

import (
	"context"
	"io"
)

// command is one verb. Each handler parses its own flags and writes only to
// the writers it is given, so tests can call it directly.
type command struct {
	name    string
	args    string // shown after the verb in usage, e.g. "[--json]"
	summary string
	details string // more, for the verb's own usage page
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// operands: the verb takes arguments beyond its flags (config's
	// subcommands); the others refuse any.
	operands bool
	// passthrough: the arguments, --help included, are another program's
	// (cco claude); 'cco help VERB' shows cco's usage of the verb.
	passthrough bool
	// drains: the verb stops on its own once ctx ends, however long that
	// takes, and its exit code says how (the daemon drains its streams;
	// Ctrl-C is how a follow ends); others get interruptGrace and exit
	// with the signal's code.
	drains bool
}

// commands are the verbs; `cco daemon VERB` and `cco VERB` are the same.
func commands() []command {
	return []command{
		{name: "run", args: "[flags]", summary: "run the daemon in the foreground (what a service manager runs)", run: cmdRun, drains: true},
		{name: "start", args: "[flags] [--wait 30s]", summary: "start the daemon in the background; returns once it is ready", run: cmdStart},
		{name: "stop", args: "[--timeout 30s]", summary: "stop the daemon: SIGTERM, then SIGKILL after the timeout", run: cmdStop},
		{name: "restart", args: "[flags] [--timeout 30s] [--wait 30s]", summary: "stop and start the daemon, keeping its flags", run: cmdRestart},
		{name: "status", args: "[--json]", summary: "whether the daemon runs, its pid, URL, health and files (exit 3: not running)", run: cmdStatus},
		{name: "logs", args: "[-n 50] [-f]", summary: "print the daemon's last log lines; -f follows across rotation", run: cmdLogs, drains: true},
		{name: "install", args: "[--start] [--config FILE]", summary: "install the per-user OS service (systemd user unit, LaunchAgent, Windows service)",
			details: installDetails, run: cmdInstall},
		{name: "uninstall", summary: "stop and remove the OS service", details: uninstallDetails, run: cmdUninstall},
		{name: "enable", summary: "start the installed service automatically at login", run: cmdEnable},
		{name: "disable", summary: "do not start the installed service at login", run: cmdDisable},
		{name: "stats", args: "[--since 24h] [--until TIME] [--by KIND] [--session ID] [--project DIR] [--limit N] [--team] [--json] [--config FILE]", summary: "usage and estimated cost of the calls cco proxied", run: cmdStats},
		{name: "reload", summary: "make the running daemon re-read its configuration (also SIGHUP)", run: cmdReload},
		{name: "config", args: "show|get KEY|set KEY VALUE|unset KEY|path|validate", summary: "show or change the configuration",
			details: configDetails(), run: cmdConfig, operands: true},
		{name: "dashboard", args: "[--print] [--port N] [--host H]", summary: "open the dashboard page in a browser (or print its URL)", run: cmdDashboard},
		{name: "claude", args: "[--claude PATH] [CLAUDE ARGS...]", summary: "run Claude Code through cco, starting the daemon if needed",
			details: claudeDetails, run: cmdClaude, operands: true, passthrough: true, drains: true},
		{name: "statusline", args: "[--install [--force] | --uninstall]", summary: "one line for Claude Code's status line: session and daily cost, plan usage",
			details: statuslineDetails, run: cmdStatusline},
		{name: "version", summary: "print version, commit, Go version and platform", run: cmdVersion},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}
