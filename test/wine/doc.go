// Package wine is `make wine-smoke`: the Windows build run under Wine. It
// drives the daemon's process lifecycle (foreground and detached start,
// status, a clean stop) and runs the Windows unit tests of the packages
// where Wine can run them. The Service Control Manager is not executed
// (Wine's cannot stand in for it); the install's settings and rollback are
// covered by platform's golden file and unit tests.
package wine
