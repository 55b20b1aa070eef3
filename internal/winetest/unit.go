package winetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"
)

// NotUnderWine is a test that cannot pass under Wine and why: it is not
// run (go test -skip), and the run says so.
type NotUnderWine struct{ Test, Reason string }

// Result is one package's Windows tests under Wine.
type Result struct {
	Passed   int
	Cleanup  int               // of Passed: whose only failure was Wine's TempDir cleanup
	Skipped  map[string]string // test: reason (its own t.Skip, or NotUnderWine)
	Failed   map[string]string // test: its output
	Duration time.Duration
}

// wineCleanup is how testing reports that it could not remove a test's
// TempDir. Wine 8 implements no FileDispositionInformationEx, which Go
// 1.26's RemoveAll uses (os.Remove works): the test itself passed, so the
// line is not counted against it (the directories are in Prefix.Tmp,
// which Open empties from Linux).
var wineCleanup = regexp.MustCompile(`TempDir RemoveAll cleanup: .*: Invalid function\.\s*$`)

type event struct {
	Action string
	Test   string
	Output string
}

// RunTests runs the Windows test binary exe under Wine from the package's
// directory (where its testdata is), through test2json, leaving out the
// tests in skip.
func (p *Prefix) RunTests(ctx context.Context, pkgDir, exe string, skip []NotUnderWine) (Result, error) {
	res := Result{Skipped: map[string]string{}, Failed: map[string]string{}}
	args := []string{"tool", "test2json", "wine", exe, "-test.v=test2json", "-test.timeout=10m"}
	if len(skip) > 0 {
		var names []string
		for _, s := range skip {
			names = append(names, "^"+regexp.QuoteMeta(s.Test)+"$")
			res.Skipped[s.Test] = "not run under Wine: " + s.Reason
		}
		args = append(args, "-test.skip="+strings.Join(names, "|"))
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = pkgDir
	cmd.Env = p.Env()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	outputs := map[string][]string{}
	final := map[string]string{}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		switch e.Action {
		case "output":
			outputs[e.Test] = append(outputs[e.Test], e.Output)
		case "pass", "fail", "skip":
			final[e.Test] = e.Action
		}
	}
	waitErr := cmd.Wait()
	res.Duration = time.Since(start)

	// Children first: a parent whose children failed only in cleanup has
	// not failed either.
	tests := slices.Collect(func(yield func(string) bool) {
		for t := range final {
			if t != "" && !yield(t) {
				return
			}
		}
	})
	slices.SortFunc(tests, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	cleanupOnly := map[string]bool{}
	for _, t := range tests {
		switch final[t] {
		case "pass":
			res.Passed++
		case "skip":
			res.Skipped[t] = skipReason(outputs[t])
		case "fail":
			own, sawCleanup := ownFailure(outputs[t])
			childrenOK := true
			for _, c := range tests {
				if strings.HasPrefix(c, t+"/") && strings.Count(c, "/") == strings.Count(t, "/")+1 && final[c] == "fail" {
					childrenOK = childrenOK && cleanupOnly[c]
					sawCleanup = sawCleanup || cleanupOnly[c]
				}
			}
			if own == "" && childrenOK && sawCleanup {
				cleanupOnly[t] = true
				res.Passed++
				res.Cleanup++
				continue
			}
			res.Failed[t] = strings.Join(outputs[t], "")
		}
	}
	if waitErr != nil && len(res.Failed) == 0 && res.Cleanup == 0 {
		return res, fmt.Errorf("the test binary failed with no test failing: %w: %s%s", waitErr, strings.Join(outputs[""], ""), stderr.String())
	}
	if pkg := strings.Join(outputs[""], ""); strings.Contains(pkg, "panic:") || strings.Contains(pkg, "test timed out") {
		res.Failed["(package)"] = pkg
	}
	return res, nil
}

// ownFailure is a failed test's own output, less the run's framing and
// Wine's cleanup line, and whether that line was there.
func ownFailure(lines []string) (string, bool) {
	var b strings.Builder
	cleanup := false
	for _, l := range lines {
		trim := strings.TrimSpace(l)
		switch {
		case trim == "", strings.HasPrefix(trim, "=== "), strings.HasPrefix(trim, "--- "):
		case wineCleanup.MatchString(l):
			cleanup = true
		default:
			b.WriteString(l)
		}
	}
	return b.String(), cleanup
}

// skipReason is the message a test gave t.Skip.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" && !strings.HasPrefix(t, "--- ") && !strings.HasPrefix(t, "=== ") {
			if _, msg, ok := strings.Cut(t, ": "); ok {
				return msg
			}
			return t
		}
	}
	return "skipped"
}
