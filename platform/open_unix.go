//go:build unix

package platform

import "os"

// openAppend opens a log for appending, creating it 0600, never through a
// symbolic link (see OpenRegular).
func openAppend(path string) (*os.File, error) {
	return OpenRegular(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, NoFollow)
}

// openShared opens a log for reading. On Unix an open file never stops
// the writer from renaming it (rotation).
func openShared(path string) (*os.File, error) { return OpenRegular(path, os.O_RDONLY, NoFollow) }
