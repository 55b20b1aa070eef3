package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
	"github.com/spf13/pflag"
)

// pollEvery is how often start looks for the pid file and /ready, and stop
// for the lock's release. Each look is a failed open or a lock probe, so
// looking often costs nothing and keeps a ~20 ms start or stop from waiting
// out its own timer.
const pollEvery = 5 * time.Millisecond

// daemonPaths are the CCO_HOME files the lifecycle verbs use. They need no
// valid configuration, so stop, status and logs work even when the config
// file is broken.
type daemonPaths struct {
	Home, Config, Lock, Pid, Log, Token string
}

func homePaths() (daemonPaths, error) {
	home, err := config.HomeDir()
	if err != nil {
		return daemonPaths{}, err
	}
	return pathsIn(home), nil
}

func pathsIn(home string) daemonPaths {
	c := &config.Config{Home: home}
	return daemonPaths{
		Home: home, Config: config.DefaultFile(home), Lock: c.LockPath(),
		Pid: c.PidPath(), Log: c.LogPath(), Token: c.TokenPath(),
	}
}

// inspect is platform.Inspect on these paths; CCO_HOME not existing yet
// simply means nothing runs.
func (p daemonPaths) inspect() (platform.State, error) {
	if _, err := os.Stat(p.Home); os.IsNotExist(err) {
		return platform.State{}, nil
	}
	return platform.Inspect(p.Lock, p.Pid)
}

// daemonArgs are the flags to hand a daemon so it runs as this command was
// asked to: the config flags given, with --config made absolute since the
// daemon runs from another directory.
func daemonArgs(fs *pflag.FlagSet, cfg *config.Config) []string {
	var out []string
	for _, a := range config.FlagArgs(fs) {
		if strings.HasPrefix(a, "--config=") {
			a = "--config=" + cfg.File
		}
		out = append(out, a)
	}
	return out
}

// controlClient is how the lifecycle verbs talk to the daemon: never
// through a proxy from the environment, no idle connections kept (they
// would outlive the command), and a short timeout, since a local daemon
// that takes seconds to answer is reported as not answering.
var controlClient = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

// probe GETs url+path and returns the status code and decoded JSON body.
func probe(ctx context.Context, url, path string, into any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := controlClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if into != nil {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(into)
	}
	return resp.StatusCode, nil
}

// progressLine rewrites one line on a terminal; on anything else it is
// silent, so scripts and logs get only the final result.
type progressLine struct{ w io.Writer }

func newProgress(w io.Writer) progressLine {
	if !isTerminal(w) {
		return progressLine{}
	}
	return progressLine{w: w}
}

func (p progressLine) show(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, "\r\033[K"+format, args...)
	}
}

func (p progressLine) clear() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// logSince returns the last max lines written to the log after offset (or
// the log's last lines when nothing was), read without loading the file.
func logSince(path string, offset int64, max int) []string {
	f, err := platform.OpenRegular(path, os.O_RDONLY, platform.NoFollow)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	const window = 64 << 10
	start := offset
	if fi.Size() <= offset || offset < 0 {
		start = 0
	}
	if fi.Size()-start > window {
		start = fi.Size() - window
	}
	b, err := io.ReadAll(io.NewSectionReader(f, start, fi.Size()-start))
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > max {
		lines = lines[len(lines)-max:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// seconds prints a duration the way people read start and stop times.
func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
