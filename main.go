// Command cco is a local daemon for the Anthropic API, and its own
// lifecycle manager. See README.md.
package main

import (
	"os"

	"github.com/anthropics/cco/cli"
)

// Set at build time: go build -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

func main() {
	os.Exit(cli.Main(cli.Build{Version: version, Commit: commit}, runDaemon, os.Args[1:], os.Stdout, os.Stderr))
}
