//go:build unix

package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
)

// dropRoot arranges for PostgreSQL's programs to run as the postgres user
// when we are root: initdb refuses root, and the server must own its data
// directory.
func (p *Postgres) dropRoot() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres OS user to run initdb: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(p.dir, uid, gid); err != nil {
		return fmt.Errorf("handing %s to the postgres user: %w", p.dir, err)
	}
	p.asUser = "postgres"
	return nil
}

// run runs one of PostgreSQL's programs, as the postgres user when we are
// root.
func (p *Postgres) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if p.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = p.dir // the postgres user may not enter our working directory
	return cmd.CombinedOutput()
}
