package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// waitLimit bounds every wait on a condition; it is generous because CI
// machines are shared, and it is never a guess at how long a thing takes.
const waitLimit = 30 * time.Second

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(waitLimit)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s waiting for %s (last error: %v)", waitLimit, what, last)
}

var client = &http.Client{Timeout: 5 * time.Second}

// httpStatus GETs url and returns the status code and body; headers are
// "Name: value" strings, with Host setting the Host header.
func httpStatus(url string, headers ...string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "host") {
			req.Host = value
		} else {
			req.Header.Set(name, value)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// scriptCmd is a custom testscript command.
type scriptCmd = func(ts *testscript.TestScript, neg bool, args []string)

// commandSets lets each area's test file add its own script commands from
// an init function, so no one file collects them all.
var commandSets []map[string]scriptCmd

func scriptCommands() map[string]scriptCmd {
	all := baseCommands()
	for _, set := range commandSets {
		for name, cmd := range set {
			if _, dup := all[name]; dup {
				panic("test: script command defined twice: " + name)
			}
			all[name] = cmd
		}
	}
	return all
}

func baseCommands() map[string]scriptCmd {
	return map[string]scriptCmd{
		// waithttp URL [STATUS]: wait until GET URL answers STATUS (200).
		"waithttp": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) < 1 || len(args) > 2 {
				ts.Fatalf("usage: waithttp URL [STATUS]")
			}
			want := 200
			if len(args) == 2 {
				want, _ = strconv.Atoi(args[1])
			}
			err := waitFor(args[0], func() (bool, error) {
				code, _, err := httpStatus(args[0])
				return code == want, err
			})
			ts.Check(err)
		},
		// httpget URL STATUS [HEADER...]: GET once; the body becomes stdout.
		"httpget": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) < 2 {
				ts.Fatalf("usage: httpget URL STATUS ['Name: value'...]")
			}
			code, body, err := httpStatus(args[0], args[2:]...)
			ts.Check(err)
			if strconv.Itoa(code) != args[1] {
				ts.Fatalf("GET %s: status %d, want %s; body: %s", args[0], code, args[1], body)
			}
			fmt.Fprint(ts.Stdout(), body)
		},
		// holdport VAR: listen on a free port (until the script ends) and
		// put it in $VAR, to test what a busy port does.
		"holdport": func(ts *testscript.TestScript, neg bool, args []string) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			ts.Check(err)
			ts.Defer(func() { ln.Close() })
			ts.Setenv(args[0], strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		},
	}
}

// getJSON GETs url (200 expected) and decodes the body into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, body, err := httpStatus(url)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v %s", url, code, err, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decoding %s: %v", url, err)
	}
}
