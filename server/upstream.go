package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// newUpstreamClient suits long answers: connecting and the TLS handshake
// are bounded, and so is the wait for response headers (a non-streamed
// answer can take minutes to generate), but a stream that is still sending
// has no deadline at all. Redirects are passed back to the caller.
func newUpstreamClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 10 * time.Minute,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   32,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// hopHeaders are meaningful for one connection only and never forwarded.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// copyHeaders copies src into dst without the hop-by-hop headers, including
// those the Connection header names.
func copyHeaders(dst, src http.Header) {
	endToEnd(src, func(k, _ string, vs []string) { dst[k] = append([]string(nil), vs...) })
}

// endToEnd calls f with each header of src that is not hop-by-hop (nor
// named by the Connection header), as sent and canonical.
func endToEnd(src http.Header, f func(k, canonical string, vs []string)) {
	var named map[string]bool
	for _, v := range src.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if named == nil {
				named = map[string]bool{}
			}
			named[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	for k, vs := range src {
		ck := http.CanonicalHeaderKey(k)
		if !hopHeaders[ck] && !named[ck] {
			f(k, ck, vs)
		}
	}
}

// upstreamRequest is r re-addressed to the upstream, path and query kept,
// with the caller's own credentials untouched.
func upstreamRequest(ctx context.Context, base string, r *http.Request, body []byte) (*http.Request, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parsing upstream_url %q: %w", base, err)
	}
	target := *u
	target.Path = strings.TrimRight(u.Path, "/") + r.URL.Path
	if r.URL.RawPath != "" {
		target.RawPath = strings.TrimRight(u.EscapedPath(), "/") + r.URL.RawPath
	}
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(ctx, r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	copyHeaders(out.Header, r.Header)
	for k := range out.Header {
		if strings.HasPrefix(k, ccoHeaderPrefix) {
			out.Header.Del(k) // cco's own, never the API's
		}
	}
	// Let the transport negotiate compression and undo it, so the body can
	// be read for usage and streamed event by event.
	out.Header.Del("Accept-Encoding")
	out.ContentLength = int64(len(body))
	if len(body) == 0 && r.ContentLength <= 0 {
		out.Body = http.NoBody
	}
	return out, nil
}

// sink receives an upstream answer as it arrives.
type sink interface {
	// start gets the status and headers; size is the body's length when
	// the upstream said (-1 when not), so a copy can be sized once.
	start(status int, h http.Header, stream bool, size int64)
	chunk(p []byte) // one whole event of a stream, or a piece of a body
	// body is the whole body when the sink keeps it, else nil; fetch then
	// need not keep a second copy to read the usage from.
	body() []byte
}

// fetched is what a fetch learned.
type fetched struct {
	err      error // no answer at all (nothing was sent to the sink)
	status   int
	stream   bool
	ttfb     time.Duration
	meter    meter
	complete bool // the whole body was read
	readErr  error
}

// maxMeteredBody bounds the copy of a JSON body kept to read its usage.
const maxMeteredBody = 16 << 20

// fetch sends req and passes the answer to sink: a stream one event at a
// time, anything else in pieces as read. It never retries.
func (s *Server) fetch(req *http.Request, start time.Time, out sink) fetched {
	resp, err := s.client.Do(req)
	if err != nil {
		return fetched{err: err}
	}
	defer resp.Body.Close()
	res := fetched{status: resp.StatusCode, ttfb: time.Since(start)}
	if p, ok := parsePlan(resp.Header, time.Now()); ok {
		s.plans.observe(credentialHash(req.Header), p)
	}
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	res.stream = strings.HasPrefix(ct, "text/event-stream")
	out.start(resp.StatusCode, resp.Header, res.stream, resp.ContentLength)
	live, _ := out.(interface{ metered(meter) })
	if res.stream {
		rd := newSSEReader(resp.Body)
		for {
			ev, err := rd.Next()
			if len(ev) > 0 {
				if res.meter.event(ev) && live != nil {
					live.metered(res.meter)
				}
				out.chunk(ev)
			}
			if err != nil {
				res.complete, res.readErr = finished(err)
				return res
			}
		}
	}
	metered := strings.Contains(ct, "json")
	var kept []byte
	if metered && out.body() == nil && resp.ContentLength > 0 && resp.ContentLength <= maxMeteredBody {
		kept = make([]byte, 0, resp.ContentLength)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			out.chunk(buf[:n])
			if metered && out.body() == nil && len(kept)+n <= maxMeteredBody {
				kept = append(kept, buf[:n]...)
			}
		}
		if err != nil {
			res.complete, res.readErr = finished(err)
			if res.complete && metered {
				if b := out.body(); b != nil {
					kept = b
				}
				res.meter.jsonBody(kept)
			}
			return res
		}
	}
}

func finished(err error) (bool, error) {
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// upstreamError turns a failed round trip into the status and Anthropic
// style error a client sees. ok is false when the client itself went away.
func upstreamError(ctx context.Context, base string, err error) (int, map[string]any, bool) {
	if ctx.Err() != nil {
		return statusClientClosed, nil, false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return http.StatusGatewayTimeout, apiError("timeout_error", fmt.Sprintf("cco: the upstream API at %s did not answer in time: %v", base, err)), true
	}
	return http.StatusBadGateway, apiError("api_error", fmt.Sprintf("cco: could not reach the upstream API at %s: %v", base, err)), true
}

// statusClientClosed records a call whose client went away before an
// answer (nginx's convention; never sent on the wire).
const statusClientClosed = 499
