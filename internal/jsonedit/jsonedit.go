// Package jsonedit changes one top-level member of a JSON object in place,
// leaving every other byte of the document as it was: a user's settings
// file keeps its order, spacing and unknown keys.
package jsonedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Member is one top-level member: doc[Start:End] is `"key": value`.
type Member struct {
	Key        string
	Start, End int
	Value      json.RawMessage
}

// Object is a parsed top-level object: its members, and where its braces
// are.
type Object struct {
	Members     []Member
	Open, Close int // offsets of '{' and '}'
}

// Parse finds the top-level members of doc, which must be one JSON object
// (with nothing but white space after it).
func Parse(doc []byte) (Object, error) {
	var o Object
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return o, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return o, errors.New("the document is not a JSON object")
	}
	o.Open = int(dec.InputOffset()) - 1
	for dec.More() {
		start := skip(doc, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return o, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return o, err
		}
		o.Members = append(o.Members, Member{Key: key, Start: start, End: int(dec.InputOffset()), Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return o, err
	}
	o.Close = int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err != io.EOF {
		return o, fmt.Errorf("there is more after the object, at byte %d", dec.InputOffset())
	}
	return o, nil
}

// skip moves past white space and one separating comma.
func skip(doc []byte, i int) int {
	for i < len(doc) && (isSpace(doc[i]) || doc[i] == ',') {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Find is the index of the last member named key (the one a JSON parser
// keeps), or -1.
func (o Object) Find(key string) int {
	for i := len(o.Members) - 1; i >= 0; i-- {
		if o.Members[i].Key == key {
			return i
		}
	}
	return -1
}

// Count is how many members are named key.
func (o Object) Count(key string) int {
	n := 0
	for _, m := range o.Members {
		if m.Key == key {
			n++
		}
	}
	return n
}

// Replace sets member i's value to value, indented like its key.
func (o Object) Replace(doc []byte, i int, value any) ([]byte, error) {
	m := o.Members[i]
	v, err := render(value, indentAt(doc, m.Start), newline(doc))
	if err != nil {
		return nil, err
	}
	return o.ReplaceRaw(doc, i, v), nil
}

// ReplaceRaw sets member i's value to the JSON text raw, as it is.
func (o Object) ReplaceRaw(doc []byte, i int, raw []byte) []byte {
	m := o.Members[i]
	return splice(doc, m.End-len(m.Value), m.End, raw)
}

// Insert adds key: value as the last member, indented like the others
// (two spaces in an empty object).
func (o Object) Insert(doc []byte, key string, value any) ([]byte, error) {
	k, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	nl := newline(doc)
	if len(o.Members) == 0 {
		v, err := render(value, "  ", nl)
		if err != nil {
			return nil, err
		}
		return splice(doc, o.Open+1, o.Close, []byte(nl+"  "+string(k)+": "+string(v)+nl)), nil
	}
	last := o.Members[len(o.Members)-1]
	ind := indentAt(doc, last.Start)
	v, err := render(value, ind, nl)
	if err != nil {
		return nil, err
	}
	sep := nl + ind
	if ind == "" && !bytes.Contains(doc[o.Open:last.Start], []byte("\n")) {
		sep = " " // a one-line object stays on one line
	}
	return splice(doc, last.End, last.End, []byte(","+sep+string(k)+": "+string(v))), nil
}

// Remove deletes member i with its separating comma.
func (o Object) Remove(doc []byte, i int) []byte {
	switch {
	case len(o.Members) == 1:
		return splice(doc, o.Open+1, o.Close, nil)
	case i > 0:
		return splice(doc, o.Members[i-1].End, o.Members[i].End, nil)
	default:
		return splice(doc, o.Members[0].Start, o.Members[1].Start, nil)
	}
}

// indentAt is the white space before offset on its line, when only white
// space precedes it there.
func indentAt(doc []byte, at int) string {
	i := at
	for i > 0 && (doc[i-1] == ' ' || doc[i-1] == '\t') {
		i--
	}
	if i > 0 && doc[i-1] != '\n' {
		return ""
	}
	return string(doc[i:at])
}

// render marshals value, indenting nested lines under a key indented ind
// (one level deeper than it, in its own unit) and ending them with nl, or
// on one line when the document is not indented.
func render(value any, ind, nl string) ([]byte, error) {
	if ind == "" {
		return json.Marshal(value)
	}
	unit := "  "
	if ind[0] == '\t' {
		unit = "\t"
	}
	b, err := json.MarshalIndent(value, ind, unit)
	if err != nil || nl == "\n" {
		return b, err
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte(nl)), nil
}

// newline is the document's line ending: CRLF when it has one.
func newline(doc []byte) string {
	if bytes.Contains(doc, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

func splice(doc []byte, from, to int, with []byte) []byte {
	out := make([]byte, 0, len(doc)-(to-from)+len(with))
	out = append(out, doc[:from]...)
	out = append(out, with...)
	return append(out, doc[to:]...)
}
