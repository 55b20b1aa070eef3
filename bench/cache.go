package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/anthropics/cco/internal/testkit"
)

// benchCacheHits measures cache-hit throughput of cco against nginx
// `return 200` (or the minimal Go server when nginx is absent), with the
// same in-process load generator, interleaved.
func benchCacheHits(b *bench) error {
	p, err := b.proxied("hits")
	if err != nil {
		return err
	}
	defer p.stop()
	base := p.base
	body := messageBody(0, false, 0)
	resp, err := post(base, body) // fill the cache
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp, err = post(base, body); err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get("x-cco-cache"); got != "hit" {
		return fmt.Errorf("second identical call was not a cache hit (x-cco-cache=%q)", got)
	}

	baseURL, name, cleanup, err := throughputBaseline(b)
	if err != nil {
		return err
	}
	defer cleanup()
	dur := scaled(b, 3*time.Second, 500*time.Millisecond)
	s, bs, err := interleave(b.runs, func() (float64, error) { return load(base+"/v1/messages", body, 32, dur) },
		func() (float64, error) { return load(baseURL, body, 32, dur) })
	if err != nil {
		return err
	}
	b.add(newRow("cache-hit throughput", "req/s", s, "≥ 0.5× nginx").withBaseline(name, bs))
	return nil
}

func throughputBaseline(b *bench) (url, name string, cleanup func(), err error) {
	if have("nginx") {
		return nginx(b.root)
	}
	exe, err := buildMinimal(b.root)
	if err != nil {
		return "", "", nil, err
	}
	m, port, err := startMinimal(exe)
	if err != nil {
		return "", "", nil, err
	}
	return fmt.Sprintf("http://127.0.0.1:%d/", port), "minimal net/http", func() { stop(m) }, nil
}

func nginx(root string) (string, string, func(), error) {
	dir := filepath.Join(root, "nginx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, err
	}
	port, err := testkit.FreePort()
	if err != nil {
		return "", "", nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	body := fmt.Sprintf(`worker_processes auto;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server { listen 127.0.0.1:%[2]d; location / { return 200 "ok"; } }
}
`, dir, port)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return "", "", nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	c, err := serve(exec.Command("nginx", "-c", conf, "-p", dir), url, 10*time.Second)
	if err != nil {
		return "", "", nil, err
	}
	return url, "nginx return 200", func() { stop(c) }, nil
}

// benchCacheBound fills a 256 MiB cache twice over with distinct 1 MiB
// answers and reports RSS against cache_size + idle RSS.
func benchCacheBound(b *bench) error {
	size, calls := scaled(b, 256, 16), scaled(b, 512, 32)
	p, err := b.proxied("bound", "--cache-size", fmt.Sprintf("%dMiB", size))
	if err != nil {
		return err
	}
	defer p.stop()
	idle, err := rssMB(p.cmd.PID())
	if err != nil {
		return err
	}
	for i := 0; i < calls; i++ {
		resp, err := post(p.base, messageBody(i, false, 1<<20))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	rss, err := rssMB(p.cmd.PID())
	if err != nil {
		return err
	}
	s, limit := &sample{}, &sample{}
	s.add(rss)
	limit.add(float64(size) + idle)
	b.add(newRow(fmt.Sprintf("RSS, cache_size=%dMiB filled 2×", size), "MiB", s, "≤ 1.3× (cache_size + idle RSS)").withBaseline("cache_size + idle RSS", limit))
	return nil
}
