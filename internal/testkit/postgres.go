// Package testkit holds helpers shared by tests across packages.
package testkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private PostgreSQL server run for one test: its own data
// directory, a loopback port and a database with a password user.
type Postgres struct {
	Port     int
	Database string // the test database
	User     string // owner of Database, logging in with Password
	Password string

	t       testing.TB
	bin     string // directory of initdb, pg_ctl, postgres
	dir     string // owned by the server's OS user
	asUser  string // "" when running the binaries as ourselves
	mu      sync.Mutex
	pid     int // postmaster PID while running, else 0
	adminPw string
}

// pgWait bounds every wait on the server; it is generous for shared CI
// machines and is never a guess at how long a step takes.
const pgWait = 60 * time.Second

// StartPostgres initialises and starts a server, creates the test database
// and user, and stops the server when the test ends. It skips the test when
// PostgreSQL's binaries are not installed.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin := findPostgresBin()
	if bin == "" {
		t.Skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
	}
	p := &Postgres{t: t, bin: bin, Database: "cco", User: "cco", Password: "pw-" + strconv.FormatUint(rand.Uint64(), 36), adminPw: "admin-" + strconv.FormatUint(rand.Uint64(), 36)}
	// initdb refuses to run as root, and the server must own its data
	// directory, so as root both run as the postgres user in a directory
	// of their own under /tmp (t.TempDir's parents are root's, mode 0700).
	dir, err := os.MkdirTemp("", "cco-pg-")
	if err != nil {
		t.Fatalf("creating the PostgreSQL directory: %v", err)
	}
	p.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := p.dropRoot(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pwfile"), []byte(p.adminPw+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := p.run("initdb", "-D", p.dataDir(), "-U", "postgres", "--pwfile", filepath.Join(dir, "pwfile"),
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port, err := QuietPort()
	if err != nil {
		t.Fatal(err)
	}
	p.Port = port
	t.Cleanup(p.Stop)
	p.Start()

	ctx, cancel := context.WithTimeout(context.Background(), pgWait)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.AdminURL("postgres"))
	if err != nil {
		t.Fatalf("connecting to the test PostgreSQL as its superuser: %v", err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, p.User, p.Password),
		fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, p.Database, p.User),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("preparing the test PostgreSQL (%s): %v", q, err)
		}
	}
	return p
}

// URL is the test user's URL for the test database, password included.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", p.User, url.QueryEscape(p.Password), p.Port, p.Database)
}

// AdminURL is the superuser's URL for database db.
func (p *Postgres) AdminURL(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", p.adminPw, p.Port, db)
}

// Exec runs statements on the test database as the superuser.
func (p *Postgres) Exec(sql string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pgWait)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.AdminURL(p.Database))
	if err != nil {
		p.t.Fatalf("connecting to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
}

// Start starts the server (again, after Stop) on the same port and waits
// until it accepts connections.
func (p *Postgres) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pid != 0 {
		return
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", p.Port, p.sockDir())
	// -W: pg_ctl does not wait; readiness is a real connection, below.
	if out, err := p.run("pg_ctl", "-D", p.dataDir(), "-l", filepath.Join(p.dir, "log"), "-o", opts, "-W", "start"); err != nil {
		p.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, p.log())
	}
	deadline := time.Now().Add(pgWait)
	for {
		if pid := p.readPID(); pid != 0 && p.pid == 0 {
			p.pid = pid
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.AdminURL("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			if p.pid == 0 {
				p.pid = p.readPID()
			}
			return
		}
		cancel()
		if p.pid != 0 && !Alive(p.pid) {
			pid := p.pid
			p.pid = 0
			p.t.Fatalf("PostgreSQL (PID %d) exited while starting: %v\n%s", pid, err, p.log())
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("PostgreSQL did not accept connections within %s: %v\n%s", pgWait, err, p.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop stops the server (fast shutdown: open sessions are ended) and waits
// until its process has exited; the port stays reserved for Start.
func (p *Postgres) Stop() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pid == 0 {
		return
	}
	if out, err := p.run("pg_ctl", "-D", p.dataDir(), "-m", "fast", "-W", "stop"); err != nil {
		p.t.Logf("pg_ctl stop: %v\n%s; killing PID %d", err, out, p.pid)
		Kill(p.pid)
	}
	if err := WaitExit(p.pid, pgWait); err != nil {
		p.t.Errorf("stopping PostgreSQL: %v", err)
	}
	p.pid = 0
}

// PID is the postmaster's PID, 0 when stopped.
func (p *Postgres) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

// sockDir holds the server's Unix socket: its own directory, so that no
// other server's socket is found there.
func (p *Postgres) sockDir() string { return p.dir }

func (p *Postgres) log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "log"))
	return string(b)
}

func (p *Postgres) readPID() int {
	b, err := os.ReadFile(filepath.Join(p.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// findPostgresBin returns the newest /usr/lib/postgresql/*/bin that has
// initdb, or "".
func findPostgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}
