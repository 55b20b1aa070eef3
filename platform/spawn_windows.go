package platform

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// detachAttr gives the child no console and its own process group, so
// closing the starting console or pressing Ctrl-C there does not reach it.
func detachAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
		HideWindow:    true,
	}
}
