//go:build !linux && !darwin && !windows

package platform

import (
	"runtime"
)

// NewServiceManager has nothing to offer where cco knows no service manager.
func NewServiceManager(o ServiceOptions) (ServiceManager, error) {
	return nil, noManager("cco cannot install a service on %s; run the daemon with 'cco start' instead", runtime.GOOS)
}
