package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// The SSE reader never loses or alters a byte, whatever arrives, and every
// event it returns before the end ends with a blank line.
func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"a\":1}\n\nevent: ping\ndata: {}\n\n"))
	f.Add([]byte("\r\n\r\nevent: x\r\ndata: y\r\n\r\n: comment\n\ndata: partial"))
	f.Add([]byte("data: a\ndata: b\n\n\n\n"))
	f.Add(bytes.Repeat([]byte("x"), 40000))
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := newSSEReader(bytes.NewReader(in))
		var out []byte
		var m meter
		for i := 0; ; i++ {
			ev, err := rd.Next()
			out = append(out, ev...)
			m.event(ev)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, errEventTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if !bytes.HasSuffix(ev, []byte("\n\n")) && !bytes.HasSuffix(ev, []byte("\r\n\r\n")) && !bytes.HasSuffix(ev, []byte("\n\r\n")) && !bytes.HasSuffix(ev, []byte("\r\n\n")) {
				t.Fatalf("event %d does not end with a blank line: %q", i, ev)
			}
			if i > len(in) {
				t.Fatal("more events than bytes")
			}
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("bytes changed:\n in %q\nout %q", in, out)
		}
	})
}

// Requests that differ in any keyed field never share a cache key, and the
// same request always has the same key.
func FuzzCacheKey(f *testing.F) {
	f.Add("POST", "/v1/messages", "2023-06-01", "", "sk-a", `{"a":1}`, "sk-b")
	f.Add("POST", "/v1/messages?beta=true", "2023-06-01", "x,y", "", "", "")
	f.Fuzz(func(t *testing.T, method, uri, version, beta, key, body, key2 string) {
		req := func(k string) *http.Request {
			r, err := http.NewRequest(http.MethodPost, "http://x/", nil)
			if err != nil {
				t.Skip()
			}
			r.Method = method
			r.URL.Path, r.URL.RawQuery, r.URL.RawPath = uri, "", ""
			r.Header.Set("Anthropic-Version", version)
			r.Header.Set("Anthropic-Beta", beta)
			r.Header.Set("X-Api-Key", k)
			return r
		}
		a := cacheKey(req(key), []byte(body))
		if a != cacheKey(req(key), []byte(body)) {
			t.Fatal("the key is not deterministic")
		}
		if req(key).Header.Get("X-Api-Key") != req(key2).Header.Get("X-Api-Key") && a == cacheKey(req(key2), []byte(body)) {
			t.Fatal("different credentials share a key")
		}
		if a == cacheKey(req(key), []byte(body+"x")) {
			t.Fatal("different bodies share a key")
		}
		r := req(key)
		r.Header.Set("Anthropic-Beta", beta+"z")
		if a == cacheKey(r, []byte(body)) {
			t.Fatal("different beta headers share a key")
		}
	})
}
