package platform

import "io/fs"

// ChownLike does nothing on Windows, where a file takes its directory's
// permissions.
func ChownLike(path string, like fs.FileInfo) {}
