//go:build unix

package platform

import "syscall"

// Exec becomes the program at path (argv[0] is path), with env: its
// terminal, signals and exit status are then its own. It returns only
// when the exec fails.
func Exec(path string, args []string, env []string) (int, error) {
	return 0, syscall.Exec(path, append([]string{path}, args...), env)
}
