//go:build !linux

package platform

// LockHolder cannot be known from the OS here: macOS and Windows keep no
// list of who holds a lock. Callers ask the daemon to prove who it is.
func LockHolder(path string) (int, error) {
	held, err := heldExclusively(path)
	if err != nil || !held {
		return 0, err
	}
	return 0, ErrHolderUnknown
}

// processExiting cannot be told here; Process.Exited says when it is over.
func processExiting(pid int) bool { return false }
