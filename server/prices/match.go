package prices

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// rule is a model's match logic. The package lowercases the model id and
// the rule's string before comparing (so string rules ignore case), but a
// regex is tested, as written and without flags, against the lowercased
// id: a regex with a capital letter in it matches nothing.
type rule struct {
	op    string // or, and, equals, starts_with, ends_with, contains, regex
	value string // lowercased, but for regex
	re    *regexp.Regexp
	subs  []rule
}

// ruleOps is the order in which the package looks for an operator in a
// rule object, the first present deciding.
var ruleOps = []string{"or", "and", "equals", "starts_with", "ends_with", "contains", "regex"}

func parseRule(raw json.RawMessage) (rule, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return rule{}, fmt.Errorf("match %s: %w", raw, err)
	}
	for k := range obj {
		if !slices.Contains(ruleOps, k) {
			return rule{}, fmt.Errorf("match %s: unknown operator %q", raw, k)
		}
	}
	for _, op := range ruleOps {
		arg, ok := obj[op]
		if !ok {
			continue
		}
		r := rule{op: op}
		if op == "or" || op == "and" {
			var subs []json.RawMessage
			if err := json.Unmarshal(arg, &subs); err != nil {
				return rule{}, fmt.Errorf("match %s: %s wants a list: %w", raw, op, err)
			}
			for _, s := range subs {
				sub, err := parseRule(s)
				if err != nil {
					return rule{}, err
				}
				r.subs = append(r.subs, sub)
			}
			return r, nil
		}
		if err := json.Unmarshal(arg, &r.value); err != nil {
			return rule{}, fmt.Errorf("match %s: %s wants a string: %w", raw, op, err)
		}
		if op != "regex" {
			r.value = jsLower(r.value)
			return r, nil
		}
		// The snapshot script lets through only regexes whose syntax
		// JavaScript and RE2 read alike; a failure here is a snapshot
		// edited by hand.
		re, err := regexp.Compile(r.value)
		if err != nil {
			return rule{}, fmt.Errorf("match %s: regex does not compile in Go: %w", raw, err)
		}
		r.re = re
		return r, nil
	}
	return rule{}, fmt.Errorf("match %s: no operator", raw)
}

// matches takes the id as normalize leaves it.
func (r rule) matches(id string) bool {
	switch r.op {
	case "or":
		for _, s := range r.subs {
			if s.matches(id) {
				return true
			}
		}
		return false
	case "and":
		for _, s := range r.subs {
			if !s.matches(id) {
				return false
			}
		}
		return true
	case "equals":
		return id == r.value
	case "starts_with":
		return strings.HasPrefix(id, r.value)
	case "ends_with":
		return strings.HasSuffix(id, r.value)
	case "contains":
		return strings.Contains(id, r.value)
	case "regex":
		return r.re.MatchString(id)
	}
	return false
}

// Lookup finds the model the dataset prices id as: the first model whose
// rule matches, in the dataset's order, and failing that the first that
// matches with the id's compact dates spelled out (-20250131 as
// -2025-01-31), as calcPrice does.
func (t *Table) Lookup(id string) (Model, bool) {
	id = normalize(id)
	if m, ok := t.first(id); ok {
		return m, true
	}
	if long := expandDates(id); long != id {
		return t.first(long)
	}
	return Model{}, false
}

func (t *Table) first(id string) (Model, bool) {
	for _, m := range t.models {
		if m.match.matches(id) {
			return m, true
		}
	}
	return Model{}, false
}

// normalize is what calcPrice does to an id first: JavaScript's trim, then
// its toLowerCase.
func normalize(id string) string { return jsLower(jsTrim(id)) }

// jsTrim trims what JavaScript's String.prototype.trim does, which is not
// Go's unicode.IsSpace: U+FEFF is trimmed, U+0085 is not.
func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
			return true
		}
		return r >= 0x2000 && r <= 0x200a
	})
}

// jsLower is JavaScript's toLowerCase as far as matching can tell: Go's
// simple case mapping lowers U+0130 to a plain "i", JavaScript to "i" and
// a combining dot (so "claude-haİku-4-5" is no Haiku). JavaScript's final
// sigma (ς for σ at a word's end) is not reproduced: every rule in the
// snapshot is ASCII, and both forms are one non-ASCII character.
func jsLower(s string) string {
	if !strings.ContainsRune(s, 0x130) {
		return strings.ToLower(s)
	}
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// expandDates spells out each compact date in id: a '-' then 20YYMMDD, a
// real day, followed by '-', ':' or the end. It is calcPrice's
// /(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g, whose
// lookahead RE2 lacks: the pattern has one fixed length, so a scan that
// tries each '-' and steps over a match is the same search.
func expandDates(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); {
		if d, ok := compactDate(id, i); ok {
			b.WriteString(d)
			i += 9
			continue
		}
		b.WriteByte(id[i])
		i++
	}
	return b.String()
}

// compactDate reads "-20YYMMDD" at id[i:], giving its replacement: itself
// when the day does not exist (20250231), as calcPrice leaves it.
func compactDate(id string, i int) (string, bool) {
	if i+9 > len(id) || id[i] != '-' || id[i+1:i+3] != "20" {
		return "", false
	}
	s := id[i+1 : i+9]
	for j := 0; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return "", false
		}
	}
	if next := id[i+9:]; next != "" && next[0] != '-' && next[0] != ':' {
		return "", false
	}
	y, mo, d := atoi(s[0:4]), atoi(s[4:6]), atoi(s[6:8])
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return "", false
	}
	if t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC); t.Day() != d || int(t.Month()) != mo {
		return id[i : i+9], true
	}
	return "-" + s[0:4] + "-" + s[4:6] + "-" + s[6:8], true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
