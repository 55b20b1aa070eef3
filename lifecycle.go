package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
)

// lifecycle is the daemon's side of being managed: the lock taken before
// binding and held for the whole run, the pid file written once the
// listener is up, both undone on the way out.
type lifecycle struct {
	cfg     *config.Config
	manager string
	version string
	args    []string
	lock    *platform.Lock
	wrote   bool
}

// acquireLifecycle takes CCO_HOME/daemon.lock, or explains who holds it.
// args are the daemon's flags, recorded in the pid file for restart.
func acquireLifecycle(cfg *config.Config, manager string, args []string, version string) (*lifecycle, error) {
	lock, err := platform.AcquireLock(cfg.LockPath())
	if errors.Is(err, platform.ErrLocked) {
		return nil, alreadyRunningError(cfg)
	}
	if err != nil {
		return nil, err
	}
	// Holding the lock, any pid file left here is from a daemon that died
	// without cleaning up: remove it so that nobody mistakes it for ours
	// before ours is written.
	if err := platform.RemovePidFile(cfg.PidPath()); err != nil {
		lock.Release()
		return nil, err
	}
	return &lifecycle{cfg: cfg, manager: manager, version: version, args: args, lock: lock}, nil
}

// alreadyRunningError wraps platform.ErrLocked: the run verb must not
// record it as this daemon's failure (it is the other one's success).
func alreadyRunningError(cfg *config.Config) error {
	paths := cfg.Paths()
	if info, err := platform.ReadPidFile(paths.Pid); err == nil {
		return fmt.Errorf("%w: cco is already running (pid %d, %s); stop it with 'cco stop' or use another CCO_HOME", platform.ErrLocked, info.PID, client.For(info, paths).URL())
	}
	return fmt.Errorf("%w: another cco daemon holds %s and is starting; see 'cco status'", platform.ErrLocked, paths.Lock)
}

// listening records the daemon in daemon.pid, with the port actually bound.
func (l *lifecycle) listening(addr net.Addr) error {
	if l == nil {
		return nil
	}
	port := l.cfg.Port
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = tcp.Port
	}
	// Recorded as the OS reports them, so that a reader can compare them
	// with what the OS says of the PID later (platform.Identify).
	self, err := platform.SelfIdentity()
	if err != nil {
		return fmt.Errorf("reading this process's identity for the pid file: %w", err)
	}
	info := platform.PidInfo{
		PID: os.Getpid(), StartedAt: time.Now().UTC().Truncate(time.Millisecond),
		Host: l.cfg.Host, Port: port, Version: l.version, Exe: self.Exe, Start: self.Start, Manager: l.manager,
		Config: l.cfg.File, Args: l.args,
	}
	if err := platform.WritePidFile(l.cfg.PidPath(), info); err != nil {
		return err
	}
	l.wrote = true
	return nil
}

// release removes the pid file, then lets go of the lock: in that order,
// so that whoever sees the lock free never sees our pid file.
func (l *lifecycle) release() {
	if l == nil {
		return
	}
	if l.wrote {
		_ = platform.RemovePidFile(l.cfg.PidPath())
	}
	_ = l.lock.Release()
}
