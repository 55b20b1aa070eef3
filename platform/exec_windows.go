package platform

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
)

// Exec runs the program at path with env as a child sharing this console
// (Windows has no exec) and returns its exit code. Ctrl-C reaches the child
// through the console; this process only waits for it.
func Exec(path string, args []string, env []string) (int, error) {
	cmd := exec.Command(path, args...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
