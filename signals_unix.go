//go:build !windows

package main

import (
	"os"
	"syscall"
)

// reloadSignals make a running daemon re-read its configuration.
var reloadSignals = []os.Signal{syscall.SIGHUP}
