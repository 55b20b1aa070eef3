package platform

import "os"

// CheckPrivateDir accepts any directory on Windows: access there is decided
// by ACLs, which a user profile's directories already restrict to the user.
func CheckPrivateDir(dir string, fi os.FileInfo) error { return nil }

// OwnedByMe: ownership is an ACL matter on Windows; files are taken as the
// user's.
func OwnedByMe(fi os.FileInfo) bool { return true }

// Owner names the file's owner, for messages.
func Owner(fi os.FileInfo) string { return "another user" }
