package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxEventSize bounds one server-sent event; an upstream sending more
// without a blank line is not speaking SSE and the stream is cut.
const maxEventSize = 16 << 20

var errEventTooLarge = errors.New("a server-sent event exceeds 16 MiB")

// sseReader splits a text/event-stream into events, each returned with its
// raw bytes (through the blank line that ends it) so that it can be written
// on unchanged. Lines may end in LF or CRLF.
type sseReader struct {
	br  *bufio.Reader
	buf []byte
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{br: bufio.NewReaderSize(r, 32<<10)}
}

// Next returns the next event. At the end of the stream it returns whatever
// bytes followed the last complete event (maybe none) with io.EOF, or with
// the read error that ended it.
func (r *sseReader) Next() ([]byte, error) {
	r.buf = r.buf[:0]
	content, midLine := false, false
	for {
		line, err := r.br.ReadSlice('\n')
		r.buf = append(r.buf, line...)
		if len(r.buf) > maxEventSize {
			return r.buf, errEventTooLarge
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			midLine, content = true, true
			continue
		}
		if err != nil {
			return r.buf, err
		}
		switch {
		case midLine:
			midLine = false
		case !blank(line):
			content = true
		case content:
			return r.buf, nil
		}
		// Blank lines before an event carry nothing; they go out with
		// the event that follows so the bytes stay the same.
	}
}

func blank(line []byte) bool {
	return len(line) == 1 || (len(line) == 2 && line[0] == '\r')
}

// sseEvent is the parsed form of one event: its name and its data lines
// joined by newlines (per the EventSource specification).
type sseEvent struct {
	Name string
	Data []byte
}

func parseEvent(raw []byte) sseEvent {
	var ev sseEvent
	var data [][]byte
	for len(raw) > 0 {
		var line []byte
		line, raw, _ = bytes.Cut(raw, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		field, value, found := bytes.Cut(line, []byte{':'})
		if len(field) == 0 {
			continue // a comment (": ping") or a blank line
		}
		if found {
			value = bytes.TrimPrefix(value, []byte{' '})
		}
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			data = append(data, value)
		}
	}
	ev.Data = bytes.Join(data, []byte{'\n'})
	return ev
}
