package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/anthropics/cco/internal/testkit"
)

// benchStartStop measures `cco daemon start` to ready and `cco daemon stop`
// to port closed, interleaved with `caddy start`/`caddy stop` when caddy is
// installed.
func benchStartStop(b *bench) error {
	e, port, err := newEnvPort(b.root, b.cco, "startstop")
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ccoStart := func() (float64, error) {
		return timed(func() error { return e.run("daemon", "start", "--port", strconv.Itoa(port)) })
	}
	ccoStop := func() (float64, error) {
		return timed(func() error {
			if err := e.run("daemon", "stop"); err != nil {
				return err
			}
			return waitClosed(addr, 10*time.Second)
		})
	}
	var caddyStart, caddyStop func() (float64, error)
	if have("caddy") {
		caddyStart, caddyStop, err = caddy(b.root)
		if err != nil {
			return err
		}
	}
	starts, stops := &sample{}, &sample{}
	cStarts, cStops := &sample{}, &sample{}
	for i := 0; i < b.runs; i++ {
		for _, step := range []struct {
			f func() (float64, error)
			s *sample
		}{{ccoStart, starts}, {ccoStop, stops}, {caddyStart, cStarts}, {caddyStop, cStops}} {
			if step.f == nil {
				continue
			}
			v, err := step.f()
			if err != nil {
				return err
			}
			step.s.add(v)
		}
	}
	note := ""
	if caddyStart == nil {
		note = "caddy not installed: no baseline"
	}
	r := newRow("detached start → /ready", "ms", starts, "≤ 0.5× caddy start").withBaseline("caddy start", cStarts)
	r.Note = note
	b.add(r)
	r = newRow("stop → port closed", "ms", stops, "").withBaseline("caddy stop", cStops)
	r.Note = note
	b.add(r)
	return nil
}

// caddy prepares a one-site Caddyfile with its own admin port and storage.
func caddy(root string) (start, stop func() (float64, error), err error) {
	dir := filepath.Join(root, "caddy")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	port, err := testkit.FreePort()
	if err != nil {
		return nil, nil, err
	}
	admin, err := testkit.FreePort()
	if err != nil {
		return nil, nil, err
	}
	cf := filepath.Join(dir, "Caddyfile")
	body := fmt.Sprintf("{\n\tadmin 127.0.0.1:%d\n}\nhttp://127.0.0.1:%d {\n\trespond \"ok\"\n}\n", admin, port)
	if err := os.WriteFile(cf, []byte(body), 0o600); err != nil {
		return nil, nil, err
	}
	run := func(args ...string) error {
		c := exec.Command("caddy", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
		// `caddy start` hands its stdout to the server it spawns, so a pipe
		// here would never reach EOF; a file does not wait for anyone.
		log, err := os.OpenFile(filepath.Join(dir, "caddy.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer log.Close()
		c.Stdout, c.Stderr = log, log
		if err := c.Run(); err != nil {
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("caddy %v: %v: %s", args, err, out)
		}
		return nil
	}
	start = func() (float64, error) {
		return timed(func() error { return run("start", "--config", cf, "--adapter", "caddyfile") })
	}
	stop = func() (float64, error) {
		return timed(func() error {
			if err := run("stop", "--address", fmt.Sprintf("127.0.0.1:%d", admin)); err != nil {
				return err
			}
			return waitClosed(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
		})
	}
	return start, stop, nil
}

// benchStatus measures `cco daemon status` with the daemon running and not,
// against supervisorctl status and systemctl --user is-active.
func benchStatus(b *bench) error {
	e, port, err := newEnvPort(b.root, b.cco, "status")
	if err != nil {
		return err
	}
	status := func() (float64, error) {
		return timed(func() error {
			code, err := e.exitCode("daemon", "status")
			if err == nil && code != 0 && code != 3 {
				err = fmt.Errorf("cco daemon status exited %d", code)
			}
			return err
		})
	}
	var base func() (float64, error)
	baseName := ""
	if have("supervisorctl") && have("supervisord") {
		sv, cleanup, err := supervisor(b.root)
		if err != nil {
			return err
		}
		defer cleanup()
		base, baseName = sv, "supervisorctl status"
	}
	stopped, sbase, err := interleave(b.runs*3, status, base)
	if err != nil {
		return err
	}
	if err := e.run("daemon", "start", "--port", strconv.Itoa(port)); err != nil {
		return err
	}
	defer e.run("daemon", "stop")
	running, rbase, err := interleave(b.runs*3, status, base)
	if err != nil {
		return err
	}
	note := ""
	if base == nil {
		note = "supervisor not installed: no baseline"
	}
	r := newRow("status (running)", "ms", running, "≤ 10 ms and ≤ 0.2× supervisorctl").withBaseline(baseName, rbase)
	r.Note = note
	b.add(r)
	r = newRow("status (not running)", "ms", stopped, "≤ 10 ms").withBaseline(baseName, sbase)
	r.Note = note
	b.add(r)
	if exec.Command("systemctl", "--user", "is-system-running").Run() == nil || exec.Command("systemctl", "--user", "status").Run() == nil {
		sd := func() (float64, error) {
			return timed(func() error {
				_ = exec.Command("systemctl", "--user", "is-active", "cco-bench-none.service").Run()
				return nil
			})
		}
		_, sdS, err := interleave(b.runs*3, status, sd)
		if err == nil {
			b.add(newRow("status (not running) vs systemctl", "ms", stopped, "").withBaseline("systemctl --user is-active", sdS))
		}
	}
	return nil
}

// supervisor starts a private supervisord with one program and returns a
// timed `supervisorctl status` and a cleanup that shuts it down.
func supervisor(root string) (func() (float64, error), func(), error) {
	dir := filepath.Join(root, "supervisor")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	conf := filepath.Join(dir, "supervisord.conf")
	sock := filepath.Join(dir, "s.sock")
	body := fmt.Sprintf(`[unix_http_server]
file=%[1]s
[supervisord]
pidfile=%[2]s/supervisord.pid
logfile=%[2]s/supervisord.log
childlogdir=%[2]s
nodaemon=false
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://%[1]s
[program:sleeper]
command=sleep 3600
`, sock, dir)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return nil, nil, err
	}
	if out, err := exec.Command("supervisord", "-c", conf).CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("supervisord: %v: %s", err, out)
	}
	cleanup := func() { _ = exec.Command("supervisorctl", "-c", conf, "shutdown").Run() }
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("supervisorctl", "-c", conf, "status").Run() != nil {
		if time.Now().After(deadline) {
			cleanup()
			return nil, nil, fmt.Errorf("supervisord did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() (float64, error) {
		return timed(func() error { return exec.Command("supervisorctl", "-c", conf, "status").Run() })
	}, cleanup, nil
}
