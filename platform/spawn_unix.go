//go:build unix

package platform

import "syscall"

// detachAttr puts the child in a new session: no controlling terminal, no
// SIGHUP or Ctrl-C from the terminal that started it.
func detachAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}
