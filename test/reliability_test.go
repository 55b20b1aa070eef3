//go:build linux

package test

// The reliability suite breaks the real daemon on purpose (kill -9 under
// load, SIGTERM with streams in flight, corrupt files, a full disk, a
// misbehaving upstream, hostile clients) and prints one line of figures per
// case. `go test ./test/` runs its short form; `make reliability` runs the
// full form (-reliability.full or CCO_RELIABILITY=full) with larger counts
// and the cases that wait on real timeouts.

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/anthropics/cco/internal/testkit"
)

var reliabilityFull = flag.Bool("reliability.full", false, "run the reliability suite's full form (also CCO_RELIABILITY=full)")

// full reports whether the full form runs.
func full() bool { return *reliabilityFull || os.Getenv("CCO_RELIABILITY") == "full" }

// pick returns the short or the full form's figure.
func pick[T any](short, long T) T {
	if full() {
		return long
	}
	return short
}

var reportMu sync.Mutex

// report prints a case's line of figures. It goes to stdout so that it shows
// under `go test -v` and in `make reliability`, which collects the lines
// that start with "reliability:".
func report(t *testing.T, name, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf("reliability: %s: %s", name, fmt.Sprintf(format, args...))
	if !full() {
		line += " (short form)"
	}
	if t.Failed() {
		line += " FAILED"
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	fmt.Println(line)
}

// relEnv is one case's private world: HOME, CCO_HOME, a free port and the
// environment the daemon and the cco commands run with.
type relEnv struct {
	t       *testing.T
	dir     string
	home    string
	ccoHome string
	port    int
	base    string
	env     []string
}

func newRelEnv(t *testing.T, upstream string, extra ...string) *relEnv {
	t.Helper()
	dir := t.TempDir()
	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	e := &relEnv{t: t, dir: dir, home: filepath.Join(dir, "home"), port: port}
	e.ccoHome = filepath.Join(e.home, ".cco")
	e.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		t.Fatal(err)
	}
	e.env = append(cleanEnv(),
		"HOME="+e.home,
		"CCO_HOME="+e.ccoHome,
		"XDG_CONFIG_HOME="+filepath.Join(e.home, ".config"),
		fmt.Sprintf("CCO_PORT=%d", port),
		"CCO_HOST=127.0.0.1",
		"CCO_LOG_LEVEL=info",
	)
	if upstream != "" {
		e.env = append(e.env, "CCO_UPSTREAM_URL="+upstream)
	}
	e.env = append(e.env, extra...)
	return e
}

// cco runs one cco command to completion (bounded) and returns its output
// and exit code.
func (e *relEnv) cco(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return runCco(e.t, e.env, args...)
}

// relDaemon is `cco daemon run` started by a test: in the foreground, so
// that the test is its parent and sees its exit status.
type relDaemon struct {
	*testkit.Child
	e   *relEnv
	out *os.File
}

// startDaemon starts the daemon and waits until /ready answers 200 (or the
// daemon exits, which fails the test with its output).
func (e *relEnv) startDaemon(extraEnv ...string) *relDaemon {
	e.t.Helper()
	d := e.spawn(extraEnv...)
	if err := d.waitReady(); err != nil {
		e.t.Fatalf("%v\ndaemon output:\n%s", err, d.output())
	}
	return d
}

// spawn starts the daemon without waiting for anything; the test's
// cleanup kills it if it still runs.
func (e *relEnv) spawn(extraEnv ...string) *relDaemon {
	e.t.Helper()
	out, err := os.CreateTemp(e.dir, "daemon-*.out")
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(ccoPath(), "daemon", "run")
	cmd.Env = append(append([]string{}, e.env...), extraEnv...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a terminal's ^C reaches the test only.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c, err := testkit.StartChild(cmd)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Kill(); out.Close() })
	return &relDaemon{Child: c, e: e, out: out}
}

func (d *relDaemon) pid() int { return d.PID() }

func (d *relDaemon) output() string {
	b, _ := os.ReadFile(d.out.Name())
	return string(b)
}

func (d *relDaemon) waitReady() error {
	return waitFor(d.e.base+"/ready", func() (bool, error) {
		if d.Exited() {
			return false, fmt.Errorf("the daemon exited: %v", d.Err())
		}
		code, _, err := httpStatus(d.e.base + "/ready")
		return code == 200, err
	})
}

// signal sends sig and waits (bounded) for the daemon to exit; it returns
// the exit code (-1 when killed by a signal).
func (d *relDaemon) signal(sig syscall.Signal) int {
	d.e.t.Helper()
	if err := d.Cmd.Process.Signal(sig); err != nil {
		d.e.t.Fatalf("signalling the daemon: %v", err)
	}
	return d.wait()
}

// wait waits (bounded) for the daemon to exit and returns its exit code.
func (d *relDaemon) wait() int {
	d.e.t.Helper()
	code, err := d.Wait(2 * waitLimit)
	if err != nil {
		d.e.t.Fatalf("the daemon: %v\noutput:\n%s", err, d.output())
	}
	return code
}

// stop is a clean stop that must exit 0.
func (d *relDaemon) stop() {
	d.e.t.Helper()
	if code := d.signal(syscall.SIGTERM); code != 0 {
		d.e.t.Fatalf("the daemon exited %d on SIGTERM, want 0\noutput:\n%s", code, d.output())
	}
}

// pidFile reports whether daemon.pid exists.
func (e *relEnv) pidFile() bool {
	_, err := os.Stat(filepath.Join(e.ccoHome, "daemon.pid"))
	return err == nil
}

// token is the daemon's control token.
func (e *relEnv) token() string {
	b, err := os.ReadFile(filepath.Join(e.ccoHome, "daemon.token"))
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// relClient talks to the daemon: many connections, no proxy, bounded.
var relClient = &http.Client{
	Timeout:   waitLimit,
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
}

// message sends one POST /v1/messages and returns status, headers and body.
func (e *relEnv) message(body string, headers ...string) (int, http.Header, []byte, error) {
	resp, err := e.send(body, headers...)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// send POSTs body to /v1/messages as a client with an API key does;
// headers are "Name: value" strings.
func (e *relEnv) send(body string, headers ...string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, e.base+"/v1/messages", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "sk-ant-test-reliability")
	req.Header.Set("anthropic-version", "2023-06-01")
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(name, strings.TrimSpace(value))
	}
	return relClient.Do(req)
}

func messageBody(model string, stream bool) string {
	return fmt.Sprintf(`{"model":%q,"max_tokens":16,"stream":%t,"messages":[{"role":"user","content":"hi"}]}`, model, stream)
}

// apiStatus is the part of GET /api/status the suite reads.
type apiStatus struct {
	Analytics struct {
		Queued      int    `json:"queued"`
		Written     int64  `json:"written"`
		Dropped     int64  `json:"dropped"`
		WriteErrors int64  `json:"write_errors"`
		LastError   string `json:"last_error"`
	} `json:"analytics"`
	Cache struct {
		Entries int64 `json:"entries"`
	} `json:"cache"`
	Health struct {
		Healthy   bool   `json:"healthy"`
		LastError string `json:"last_error"`
	} `json:"health"`
}

func (e *relEnv) status() apiStatus {
	e.t.Helper()
	var st apiStatus
	getJSON(e.t, e.base+"/api/status", &st)
	return st
}

// metric returns the value of one unlabelled series from /metrics.
func (e *relEnv) metric(name string) float64 {
	e.t.Helper()
	code, body, err := httpStatus(e.base + "/metrics")
	if err != nil || code != 200 {
		e.t.Fatalf("GET /metrics: %d %v", code, err)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	e.t.Fatalf("/metrics has no series %s", name)
	return 0
}
