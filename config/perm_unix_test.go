//go:build unix

package config

import "os"

// The modes cco gives its private files and directories, as Stat reports them.
const (
	privateFile os.FileMode = 0o600
	privateDir  os.FileMode = 0o700
)

// chmodded is what Stat reports of a directory chmodded to m.
func chmodded(m os.FileMode) os.FileMode { return m }
