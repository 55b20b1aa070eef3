package platform

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// parsePlist reads an XML property list with encoding/xml, independently
// of the library that wrote it, into map[string]any / []any / string /
// bool / int64. It fails on anything else, so a malformed plist fails.
func parsePlist(t *testing.T, data []byte) any {
	t.Helper()
	require.True(t, bytes.Contains(data, []byte(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"`)), "no plist DOCTYPE")
	d := xml.NewDecoder(bytes.NewReader(data))
	var root any
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			require.Equal(t, "plist", se.Name.Local)
			root, err = plistValue(d, nextStart(t, d))
			require.NoError(t, err)
			break
		}
	}
	require.NotNil(t, root, "empty plist")
	return root
}

func nextStart(t *testing.T, d *xml.Decoder) xml.StartElement {
	for {
		tok, err := d.Token()
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			return se
		}
	}
}

// eachChild calls fn on each child element of the element just started,
// up to its end; fn reads the child whole.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if err := fn(tk); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func plistValue(d *xml.Decoder, se xml.StartElement) (any, error) {
	switch se.Name.Local {
	case "string", "integer":
		var s string
		if err := d.DecodeElement(&s, &se); err != nil {
			return nil, err
		}
		if se.Name.Local == "integer" {
			return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		}
		return s, nil
	case "true", "false":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return se.Name.Local == "true", nil
	case "array":
		arr := []any{}
		err := eachChild(d, func(tk xml.StartElement) error {
			v, err := plistValue(d, tk)
			arr = append(arr, v)
			return err
		})
		return arr, err
	case "dict":
		dict := map[string]any{}
		var key *string
		err := eachChild(d, func(tk xml.StartElement) error {
			if tk.Name.Local == "key" {
				var k string
				if err := d.DecodeElement(&k, &tk); err != nil {
					return err
				}
				if key != nil {
					return fmt.Errorf("key %q has no value", *key)
				}
				key = &k
				return nil
			}
			if key == nil {
				return fmt.Errorf("value <%s> without a key", tk.Name.Local)
			}
			v, err := plistValue(d, tk)
			if err != nil {
				return err
			}
			if _, dup := dict[*key]; dup {
				return fmt.Errorf("duplicate key %q", *key)
			}
			dict[*key] = v
			key = nil
			return nil
		})
		if err == nil && key != nil {
			err = fmt.Errorf("key %q has no value", *key)
		}
		return dict, err
	}
	return nil, fmt.Errorf("unexpected plist element <%s>", se.Name.Local)
}
