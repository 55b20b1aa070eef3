package config

import "os"

// Windows has no Unix modes: Go reports 0666 for every file that is not
// read-only and 0777 for every directory, whatever mode created them
// (what keeps CCO_HOME private there is the profile directory's ACL).
const (
	privateFile os.FileMode = 0o666
	privateDir  os.FileMode = 0o777
)

// chmodded is what Stat reports of a directory chmodded to m: os.Chmod sets
// only the read-only attribute, which a directory's mode does not show.
func chmodded(m os.FileMode) os.FileMode { return 0o777 }
