package testkit

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
)

// FreePort asks the kernel for a loopback port that is free right now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// QuietPort is a free port below the kernel's ephemeral range, so that
// while the server meant for it is stopped (restarted by a test, or by
// systemd) the port is not handed to some other socket, and the server
// finds it free again.
func QuietPort() (int, error) {
	for i := 0; i < 200; i++ {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			ln.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port between 20000 and 32000")
}
