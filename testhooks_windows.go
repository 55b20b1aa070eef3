package main

import "log/slog"

// applyTestHooks: the test hooks (see testhooks_unix.go) use Unix signals
// and do not exist on Windows.
func applyTestHooks(log *slog.Logger) {}
