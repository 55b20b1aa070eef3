//go:build linux || darwin

package platform

import "os"

func pidSelf() int { return os.Getpid() }
