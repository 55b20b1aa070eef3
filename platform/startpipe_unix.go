//go:build unix

package platform

import (
	"os"
	"os/exec"
	"strconv"
)

// passStartPipe hands w to the child as its fd 3.
func passStartPipe(cmd *exec.Cmd, w *os.File) {
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(cmd.Env, startPipeEnv+"=3")
}

func inheritedFile(v string) *os.File {
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	return os.NewFile(uintptr(fd), "start-pipe")
}
