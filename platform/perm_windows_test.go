package platform

import "os"

// Windows has no Unix modes: Go reports 0666 for every file that is not
// read-only, whatever mode created it (what keeps CCO_HOME private there
// is the profile directory's ACL).
const privateFile os.FileMode = 0o666
