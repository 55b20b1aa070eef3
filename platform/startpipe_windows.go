package platform

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/windows"
)

// passStartPipe makes w's handle inheritable and names it to the child:
// Windows has no fd 3, and os/exec's ExtraFiles is Unix-only.
func passStartPipe(cmd *exec.Cmd, w *os.File) {
	h := windows.Handle(w.Fd())
	if err := windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, windows.HANDLE_FLAG_INHERIT); err != nil {
		return // the child then starts without a pipe: the log still speaks
	}
	cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, syscall.Handle(h))
	cmd.Env = append(cmd.Env, startPipeEnv+"="+strconv.FormatUint(uint64(h), 10))
}

func inheritedFile(v string) *os.File {
	h, err := strconv.ParseUint(v, 10, 64)
	if err != nil || h == 0 {
		return nil
	}
	return os.NewFile(uintptr(h), "start-pipe")
}
