package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anthropics/cco/internal/testkit"
)

// env is a private CCO_HOME and HOME for one cco under test, so the
// benchmark never touches the user's own daemon or files.
type env struct {
	root     string
	cco      string
	home     string
	upstream string // upstream_url for the daemon, when set
}

func newEnv(root, cco, name string) (*env, error) {
	e := &env{root: filepath.Join(root, name), cco: cco}
	e.home = filepath.Join(e.root, ".cco")
	return e, os.MkdirAll(e.home, 0o700)
}

func (e *env) command(args ...string) *exec.Cmd {
	c := exec.Command(e.cco, args...)
	c.Env = append(os.Environ(), "HOME="+e.root, "CCO_HOME="+e.home, "XDG_CONFIG_HOME="+filepath.Join(e.root, ".config"))
	if e.upstream != "" {
		c.Env = append(c.Env, "CCO_UPSTREAM_URL="+e.upstream)
	}
	return c
}

// newEnvPort is newEnv with a free port for its daemon.
func newEnvPort(root, cco, name string) (*env, int, error) {
	e, err := newEnv(root, cco, name)
	if err != nil {
		return nil, 0, err
	}
	port, err := testkit.FreePort()
	return e, port, err
}

// filledEnv is a new env named name whose usage database holds n calls
// (scaled: full, or quick for the smoke run).
func (b *bench) filledEnv(name string, full, quick int) (*env, int, error) {
	e, err := newEnv(b.root, b.cco, name)
	if err != nil {
		return nil, 0, err
	}
	n := scaled(b, full, quick)
	return e, n, fillDatabase(filepath.Join(e.home, "analytics.db"), n)
}

// start runs `cco start` on a free port; `e.run("stop")` stops it.
func (e *env) start() error {
	port, err := testkit.FreePort()
	if err != nil {
		return err
	}
	return e.run("start", "--port", strconv.Itoa(port))
}

// run runs cco to completion, returning an error with its output on failure.
func (e *env) run(args ...string) error {
	out, err := e.command(args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cco %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// exitCode runs cco and returns its exit status.
func (e *env) exitCode(args ...string) (int, error) {
	err := e.command(args...).Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// foreground starts `cco daemon run` on a free port as a child, waits
// until it is ready and returns it with its base URL.
func (e *env) foreground(extra ...string) (*testkit.Child, string, error) {
	port, err := testkit.FreePort()
	if err != nil {
		return nil, "", err
	}
	c := e.command(append([]string{"daemon", "run", "--port", strconv.Itoa(port)}, extra...)...)
	var out testkit.Buffer
	c.Stdout, c.Stderr = &out, &out
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	d, err := serve(c, base+"/ready", 30*time.Second)
	if err != nil {
		return nil, "", fmt.Errorf("daemon did not become ready: %v: %s", err, out.String())
	}
	return d, base, nil
}

// serve starts c as a kit Child and waits until url answers 200; when it
// does not, the child is stopped.
func serve(c *exec.Cmd, url string, limit time.Duration) (*testkit.Child, error) {
	ch, err := testkit.StartChild(c)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(url, limit); err != nil {
		stop(ch)
		return nil, err
	}
	return ch, nil
}

// stop ends a child with SIGTERM (SIGKILL after 10 s) and reaps it.
func stop(c *testkit.Child) {
	if c != nil {
		c.Stop(10 * time.Second)
	}
}

// get GETs url and returns the status code and the whole body.
func get(url string) (int, []byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// waitHTTP polls url until it answers 200.
func waitHTTP(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		code, _, err := get(url)
		if err == nil && code == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s (last: %v)", url, limit, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitClosed polls until nothing accepts connections on addr.
func waitClosed(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still open after %s", addr, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rssMB reads a process's resident set size from /proc.
func rssMB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, err := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// have reports whether a baseline program is installed.
func have(prog string) bool {
	_, err := exec.LookPath(prog)
	return err == nil
}

// minimalServer is the memory and throughput baseline: the smallest Go
// net/http server, built in the run with the same toolchain.
const minimalServer = `package main

import (
	"io"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}
`

func buildMinimal(root string) (string, error) {
	dir := filepath.Join(root, "minimal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(minimalServer), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module minimal\n\ngo 1.26\n"), 0o600); err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "minimal")
	c := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, ".")
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the minimal server: %v: %s", err, out)
	}
	return exe, nil
}

func startMinimal(exe string) (*testkit.Child, int, error) {
	port, err := testkit.FreePort()
	if err != nil {
		return nil, 0, err
	}
	c, err := serve(exec.Command(exe, strconv.Itoa(port)), fmt.Sprintf("http://127.0.0.1:%d/", port), 10*time.Second)
	return c, port, err
}
