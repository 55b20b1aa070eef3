//go:build unix

package platform

import "os"

// removeNow removes path; on Unix its name is gone at once, whoever still
// has it open.
func removeNow(path string) error { return os.Remove(path) }

// renameReplacing is os.Rename: on Unix a rename replaces an open file.
func renameReplacing(from, to string) error { return os.Rename(from, to) }
