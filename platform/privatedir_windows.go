package platform

import "os"

// CheckPrivateDir accepts any directory on Windows: access there is decided
// by ACLs, which a user profile's directories already restrict to the user.
func CheckPrivateDir(dir string, fi os.FileInfo) error { return nil }
