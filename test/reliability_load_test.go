//go:build linux

package test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// analyticsWriter reads the batch writer's figures from its source
// (server/analytics/writer.go): a batch is committed every flushInterval or
// every batchSize records, whichever comes first. A kill -9 can lose what
// was not committed yet: the batch being filled plus, at worst, one batch
// whose commit the kill interrupted, so the bound is 2 x batchSize. Reading
// the source keeps the bound true if the figures change.
func analyticsWriter(t *testing.T) (batch int, interval string) {
	t.Helper()
	path := filepath.Join("..", "server", "analytics", "writer.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatalf("reading the batch writer's figures: %v", err)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
			return true
		}
		switch vs.Names[0].Name {
		case "batchSize":
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
				batch, _ = strconv.Atoi(lit.Value)
			}
		case "flushInterval":
			if b, ok := vs.Values[0].(*ast.BinaryExpr); ok {
				if lit, ok := b.X.(*ast.BasicLit); ok {
					if sel, ok := b.Y.(*ast.SelectorExpr); ok {
						unit := map[string]string{"Millisecond": "ms", "Second": "s", "Minute": "min"}[sel.Sel.Name]
						interval = lit.Value + " " + unit
					}
				}
			}
		}
		return true
	})
	if batch <= 0 || interval == "" {
		t.Fatalf("%s no longer declares batchSize and flushInterval as this test reads them; update the test", path)
	}
	return batch, interval
}

// TestReliabilityKill9UnderLoad drives proxied calls, kills the daemon with
// SIGKILL mid-load, restarts it, and checks the database: intact, and every
// answered call recorded except at most the last unflushed batch. Every
// call uses its own model name, so the test knows exactly which were lost.
func TestReliabilityKill9UnderLoad(t *testing.T) {
	batch, interval := analyticsWriter(t)
	bound := 2 * batch
	e, _ := newFaultyEnv(t)
	d := e.startDaemon()
	target := pick(600, 5000)
	const workers = 8

	var (
		seq      atomic.Int64
		killed   atomic.Bool
		mu       sync.Mutex
		answered []string // models, in the order their answers arrived
		early    []error  // failures before the kill: a real defect
		trigger  = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !killed.Load() {
				model := fmt.Sprintf("rel-k9-%06d", seq.Add(1))
				code, _, _, err := e.message(messageBody(model, false))
				mu.Lock()
				switch {
				case err == nil && code == 200:
					answered = append(answered, model)
					if len(answered) == target {
						close(trigger)
					}
				case !killed.Load():
					early = append(early, fmt.Errorf("%s: status %d: %v", model, code, err))
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-trigger:
	case <-time.After(10 * waitLimit):
		killed.Store(true)
		wg.Wait()
		t.Fatalf("only %d of %d calls answered within %s", len(answered), target, 10*waitLimit)
	}
	killed.Store(true)
	if code := d.signal(syscall.SIGKILL); code != -1 {
		t.Fatalf("the daemon exited %d, want death by SIGKILL", code)
	}
	wg.Wait()
	if len(early) > 0 {
		t.Errorf("%d calls failed before the kill, first: %v", len(early), early[0])
	}

	// Restart on the same CCO_HOME: it must come up on the database the
	// killed daemon left, and its stats must agree with the file.
	d = e.startDaemon()
	var stats struct {
		Totals struct{ Requests int } `json:"totals"`
	}
	getJSON(t, e.base+"/api/stats", &stats)
	d.stop()

	db := e.openDB()
	integrity := db.integrity()
	if integrity != "ok" {
		t.Errorf("PRAGMA integrity_check after kill -9: %s", integrity)
	}
	rows := db.models("rel-k9-")
	var lost []int // positions in answered
	dups := 0
	for i, m := range answered {
		switch rows[m] {
		case 0:
			lost = append(lost, i)
		case 1:
		default:
			dups++
		}
	}
	recorded := len(rows)
	inflight := recorded - (len(answered) - len(lost)) // recorded, but the answer never reached the client
	if dups > 0 {
		t.Errorf("%d calls recorded more than once", dups)
	}
	if len(lost) > bound {
		t.Errorf("%d answered calls lost, more than the bound of %d (two batches of %d)", len(lost), bound, batch)
	}
	if len(lost) > 0 && lost[0] < len(answered)-bound {
		t.Errorf("answered call #%d of %d was lost: only the last %d (the unflushed batch) may be", lost[0]+1, len(answered), bound)
	}
	if stats.Totals.Requests != recorded {
		t.Errorf("/api/stats after restart counts %d requests, the database holds %d", stats.Totals.Requests, recorded)
	}
	report(t, "kill9-under-load", "%d calls answered, %d recorded, %d lost in the last batch (bound %d: the batch filling and one committing, a batch being %d records or %s), %d recorded while in flight at the kill, %d duplicates, db integrity %s",
		len(answered), recorded, len(lost), bound, batch, interval, inflight, dups, integrity)
}

// TestReliabilitySIGTERMUnderLoad holds streams open in the fake upstream,
// sends SIGTERM, then lets them finish: the drain must complete every one,
// record every one, exit 0 and remove the pid file.
func TestReliabilitySIGTERMUnderLoad(t *testing.T) {
	e, up := newFaultyEnv(t)
	d := e.startDaemon()
	if !e.pidFile() {
		t.Fatalf("no daemon.pid while the daemon runs")
	}
	n := pick(30, 100)

	results := make([]streamResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = readStream(e, fmt.Sprintf("rel-term-%03d", i), faultHeader+": hold")
		}()
	}
	if err := waitFor(fmt.Sprintf("%d streams open upstream", n), func() (bool, error) {
		return up.Streams.Load() == int64(n), fmt.Errorf("%d open", up.Streams.Load())
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Draining: /ready says so while the streams are still running.
	if err := waitFor("/ready to report draining", func() (bool, error) {
		code, _, err := httpStatus(e.base + "/ready")
		return code == http.StatusServiceUnavailable, err
	}); err != nil {
		t.Fatal(err)
	}
	up.Release()
	wg.Wait()
	code := d.wait()
	if code != 0 {
		t.Errorf("the daemon exited %d after SIGTERM, want 0\n%s", code, d.output())
	}
	completed, cut := 0, 0
	for i, r := range results {
		if r.complete {
			completed++
		} else {
			cut++
			t.Errorf("stream %d did not complete: %v", i, r.err)
		}
	}
	pidGone := !e.pidFile()
	if !pidGone {
		t.Errorf("daemon.pid left behind after a clean stop")
	}
	db := e.openDB()
	recorded := db.count("SELECT COUNT(*) FROM calls WHERE model LIKE 'rel-term-%' AND status = 200 AND stream = 1 AND input_tokens = 13 AND output_tokens = 5")
	if recorded != completed {
		t.Errorf("%d completed streams, %d recorded with their usage", completed, recorded)
	}
	report(t, "sigterm-under-load", "%d streams in flight, %d completed, %d cut, %d recorded with usage, exit %d, pid file removed: %t",
		n, completed, cut, recorded, code, pidGone)
}

// streamResult is how a streamed call ended for the client.
type streamResult struct {
	complete bool // message_stop seen, then a clean end of the body
	err      error
}

// readStream POSTs a streamed call and reads it to the end.
func readStream(e *relEnv, model string, headers ...string) (out streamResult) {
	resp, err := e.send(messageBody(model, true), headers...)
	if err != nil {
		out.err = err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		out.err = fmt.Errorf("status %d", resp.StatusCode)
		return
	}
	sc := bufio.NewScanner(resp.Body)
	stop := false
	for sc.Scan() {
		if sc.Text() == "event: message_stop" {
			stop = true
		}
	}
	if err := sc.Err(); err != nil {
		out.err = fmt.Errorf("reading the stream: %w", err)
		return
	}
	if !stop {
		out.err = fmt.Errorf("the stream ended without message_stop")
		return
	}
	out.complete = true
	return
}
