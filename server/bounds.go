package server

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// maxModelName bounds a model name as stored, counted and shown: names come
// from clients (and an upstream echoing them), and a real model id is a few
// dozen bytes. Five calls naming 8 MB models once made /api/stats 80 MB.
const maxModelName = 200

// cleanModel keeps a model name printable and short: control and other
// unprintable characters become '?', and a name past maxModelName is cut
// at a character boundary with "…" to show it was.
func cleanModel(s string) string { return cleanLabel(s, maxModelName) }

// cleanLabel is cleanModel for any label of at most n bytes.
func cleanLabel(s string, n int) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean && len(s) <= n {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > n-len("…") {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxModelLabels bounds the model label's values in /metrics: each one is
// a series per counter, kept for the daemon's life, and Prometheus suffers
// from unbounded cardinality. Past the bound, new models count as "other".
const maxModelLabels = 50

// modelLabels admits model names as label values up to maxModelLabels. The
// first ones seen win: a counter cannot move between labels once counted,
// and the models a user runs all day are seen first.
type modelLabels struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (l *modelLabels) label(model string) string {
	if model == "" {
		return "unknown"
	}
	if model == "unknown" || model == "other" {
		// A model named like a reserved label must not pass for it.
		model += " (model)"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[model] {
		return model
	}
	if len(l.seen) >= maxModelLabels {
		return "other"
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[model] = true
	return model
}
