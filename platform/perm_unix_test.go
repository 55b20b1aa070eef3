//go:build unix

package platform

import "os"

// The mode cco gives its private files, as Stat reports it.
const privateFile os.FileMode = 0o600
