//go:build windows

package main

import "os"

// reloadSignals: Windows has no SIGHUP; use 'cco daemon reload' there.
var reloadSignals []os.Signal
