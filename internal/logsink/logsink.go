// Package logsink is the daemon's log: slog into a lumberjack-rotated file
// in CCO_HOME, and to a terminal too when a person is watching. Level,
// format and rotation change on reload without replacing the *slog.Logger
// the rest of the daemon holds.
package logsink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/anthropics/cco/config"
	"github.com/anthropics/cco/platform"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Sink is where the daemon's log goes.
type Sink struct {
	out     io.Writer
	level   slog.LevelVar
	handler atomic.Pointer[slog.Handler]

	mu   sync.Mutex // guards file: a reload may replace it
	file *lumberjack.Logger
}

// Open opens the log file (never through a link) and returns the logger
// writing to it, and to alsoStderr when it is not nil.
func Open(cfg *config.Config, alsoStderr io.Writer) (*slog.Logger, *Sink, error) {
	// Create the file with O_APPEND first: lumberjack then appends to it too,
	// so lines from a spawner or a second process never overwrite each other.
	// Never through a link: lumberjack would follow one wherever it points.
	f, err := platform.OpenRegular(cfg.LogPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, platform.NoFollow)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the log: %w", err)
	}
	f.Close()
	s := &Sink{file: newRotator(cfg)}
	s.out = s
	if alsoStderr != nil {
		s.out = &teeWriter{file: s, term: alsoStderr}
	}
	s.Apply(cfg)
	return slog.New(&sinkHandler{sink: s}), s, nil
}

// megabytes converts log_rotation_size to lumberjack's unit, which is MB
// (2^20 bytes), rounding down but never to zero (zero means 100 MB there).
func megabytes(n int64) int {
	if mb := int(n >> 20); mb > 0 {
		return mb
	}
	return 1
}

// Apply takes the logging settings of cfg (at start and on reload).
func (s *Sink) Apply(cfg *config.Config) {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	s.level.Set(lvl)
	s.rotate(cfg)
	opts := &slog.HandlerOptions{Level: &s.level}
	var h slog.Handler
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(s.out, opts)
	} else {
		h = slog.NewTextHandler(s.out, opts)
	}
	s.handler.Store(&h)
}

func newRotator(cfg *config.Config) *lumberjack.Logger {
	return &lumberjack.Logger{
		Filename:   cfg.LogPath(),
		MaxSize:    megabytes(cfg.LogRotationSize),
		MaxBackups: cfg.LogMaxFiles,
	}
}

// rotate takes new rotation settings. lumberjack's fields must not change
// while its background goroutine reads them, so a change means a new
// Logger on the same file.
//
// lumberjack reopens the log by name (here, and when it rotates), so the
// path is checked again first: a link planted there since start is refused
// and the old rotator kept. CCO_HOME itself is writable only by its user
// (config.CheckHome), so nobody else can plant one between the check and
// the open.
func (s *Sink) rotate(cfg *config.Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file.MaxSize == megabytes(cfg.LogRotationSize) && s.file.MaxBackups == cfg.LogMaxFiles {
		return
	}
	if err := platform.CheckRegular(cfg.LogPath(), platform.NoFollow); err != nil {
		fmt.Fprintf(s.file, "level=ERROR msg=\"log rotation settings not applied\" err=%q\n", err.Error())
		return
	}
	s.file.Close()
	s.file = newRotator(cfg)
}

func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file.Write(p)
}

func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file.Close()
}

// sinkHandler forwards to whichever handler the sink holds now.
type sinkHandler struct {
	sink  *Sink
	attrs []slog.Attr
	group string
}

func (h *sinkHandler) current() slog.Handler {
	inner := *h.sink.handler.Load()
	if h.group != "" {
		inner = inner.WithGroup(h.group)
	}
	if len(h.attrs) > 0 {
		inner = inner.WithAttrs(h.attrs)
	}
	return inner
}

func (h *sinkHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.sink.level.Level()
}

func (h *sinkHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.current().Handle(ctx, r)
}

func (h *sinkHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sinkHandler{sink: h.sink, group: h.group, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *sinkHandler) WithGroup(name string) slog.Handler {
	if h.group != "" {
		name = h.group + "." + name
	}
	return &sinkHandler{sink: h.sink, group: name, attrs: h.attrs}
}

// teeWriter writes every line to the file and, best effort, to a terminal:
// a closed terminal must never stop the daemon logging to its file.
type teeWriter struct {
	mu   sync.Mutex
	file io.Writer
	term io.Writer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.term != nil {
		if _, err := t.term.Write(p); err != nil {
			t.term = nil
		}
	}
	return t.file.Write(p)
}
