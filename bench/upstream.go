package main

import (
	"encoding/json"
	"strings"

	"github.com/anthropics/cco/internal/testkit"
)

// fakeUpstream is the kit's fake upstream, with an optional padding size
// in the request ("pad") so cache-memory runs can fill the cache.
func fakeUpstream() *testkit.Upstream {
	return testkit.StartUpstream(testkit.UpstreamOptions{
		Usage: testkit.Usage{Input: 12, Output: 5},
		Text: func(body []byte) string {
			var req struct {
				Pad int `json:"pad"`
			}
			_ = json.Unmarshal(body, &req)
			return "hello" + strings.Repeat(".", req.Pad)
		},
	})
}

// proxyRun is cco run in the foreground in front of a fake upstream.
type proxyRun struct {
	cmd  *testkit.Child
	base string // cco's URL
	up   *testkit.Upstream
}

// proxied starts a proxyRun in an env of its own named name.
func (b *bench) proxied(name string, extra ...string) (*proxyRun, error) {
	p := &proxyRun{up: fakeUpstream()}
	e, err := newEnv(b.root, b.cco, name)
	if err == nil {
		e.upstream = p.up.URL
		p.cmd, p.base, err = e.foreground(extra...)
	}
	if err != nil {
		p.up.Close()
		return nil, err
	}
	return p, nil
}

func (p *proxyRun) stop() {
	stop(p.cmd)
	p.up.Close()
}
