package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath is Debian's chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium with one tab, and everything the page
// wrote to its console.
type browser struct {
	ctx context.Context

	mu      sync.Mutex
	console []string
}

// newBrowser starts headless Chromium with a fresh profile; cleanup ends it
// (chromedp kills the process it started). It skips only when Chromium is
// truly absent, saying how to install it.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test needs %s (apt-get install -y chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 1000),
		chromedp.Env("LANG=en_US.UTF-8", "TZ=UTC"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })

	b := &browser{ctx: ctx}
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			b.mu.Unlock()
		}
	}()
	return b
}

// problems are the console errors, warnings and exceptions seen so far.
func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if strings.HasPrefix(m, "error:") || strings.HasPrefix(m, "exception:") || strings.HasPrefix(m, "warning:") {
			out = append(out, m)
		}
	}
	return out
}

func (b *browser) open(t *testing.T, url string) {
	t.Helper()
	require.NoError(t, chromedp.Do(b.ctx, chromedp.Navigate(url)), "loading %s", url)
}

// eval runs a JavaScript expression and decodes its value into T.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

// waitPage polls a JavaScript condition until it is true (bounded).
func waitPage(t *testing.T, b *browser, what, cond string) {
	t.Helper()
	err := waitFor(what, func() (bool, error) {
		return chromedp.Run(b.ctx, chromedp.Evaluate[bool](cond))
	})
	if err != nil {
		// Say what the page showed instead, and what it logged.
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.dataset.state + ': ' + document.getElementById('banner').textContent`))
		t.Fatalf("%v\npage state %s\nconsole: %q", err, state, b.problems())
	}
}

// setColorScheme emulates prefers-color-scheme.
func (b *browser) setColorScheme(t *testing.T, scheme string) {
	t.Helper()
	_, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	require.NoError(t, err)
}

// screenshot saves the whole page as test/artifacts/NAME.png.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll("artifacts", 0o755))
	path := filepath.Join("artifacts", name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: test/%s", path)
}

// shownPage is what the dashboard shows, read from the DOM as text.
type shownPage struct {
	Refreshes int                 `json:"refreshes"`
	Empty     string              `json:"empty"`
	State     string              `json:"state"`
	Banner    string              `json:"banner"`
	Health    string              `json:"health"`
	Text      map[string]string   `json:"text"`
	Models    []map[string]string `json:"models"`
	Recent    []map[string]string `json:"recent"`
	Columns   int                 `json:"columns"`
	Bars      []shownBar          `json:"bars"`
	Marker    string              `json:"marker"`
}

type shownBar struct {
	Day    string  `json:"day"`
	Value  float64 `json:"value"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

const readPageJS = `(() => {
  const ids = [...document.querySelectorAll('[id]')].filter(e => /^(t|s|c)-/.test(e.id));
  const rows = (sel) => [...document.querySelectorAll(sel + ' tbody tr')]
    .filter(tr => !tr.querySelector('td.none'))
    .map(tr => Object.fromEntries([...tr.cells].map(td => [td.classList[td.classList.length - 1], td.textContent.trim()])));
  const bars = [...document.querySelectorAll('#chart svg rect.bar')].map(r => {
    const b = r.getBoundingClientRect();
    return { day: r.parentNode.dataset.day, value: Number(r.dataset.value), width: b.width, height: b.height };
  });
  return {
    refreshes: Number(document.body.dataset.refreshes || 0),
    empty: document.body.dataset.empty || '',
    state: document.body.dataset.state || '',
    banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
    health: document.getElementById('health').textContent,
    text: Object.fromEntries(ids.map(e => [e.id, e.textContent.trim()])),
    models: rows('#models'),
    recent: rows('#recent'),
    columns: document.querySelectorAll('#chart svg g.col').length,
    bars,
    marker: String(window.__ccoTestMarker || ''),
  };
})()`

func readPage(t *testing.T, b *browser) shownPage {
	t.Helper()
	return eval[shownPage](t, b, readPageJS)
}

// shownNumber parses "1,234", "$0.012", "12.5%", "340 ms" or "1.25 s" and
// returns the value and the size of its last shown digit, so a comparison
// allows exactly the rounding the page did.
func shownNumber(t *testing.T, s string) (v, unit float64) {
	t.Helper()
	scale := 1.0
	switch {
	case strings.HasSuffix(s, "%"):
		scale, s = 0.01, strings.TrimSuffix(s, "%")
	case strings.HasSuffix(s, " ms"):
		s = strings.TrimSuffix(s, " ms")
	case strings.HasSuffix(s, " s"):
		scale, s = 1000, strings.TrimSuffix(s, " s")
	}
	s = strings.TrimPrefix(strings.ReplaceAll(s, ",", ""), "$")
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, "page shows %q, not a number", s)
	unit = 1
	if i := strings.IndexByte(s, '.'); i >= 0 {
		for range len(s) - i - 1 {
			unit /= 10
		}
	}
	return v * scale, unit * scale
}

// requireShown asserts that the text s shows want, to the precision shown.
func requireShown(t *testing.T, what string, want float64, s string) {
	t.Helper()
	got, unit := shownNumber(t, s)
	require.InDelta(t, want, got, unit/2+1e-9, "%s: page shows %q, /api/stats says %v", what, s, want)
}
