package jsonedit

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sl struct {
	Type    string `json:"type"`
	Command string `json:"command"`
}

var ours = sl{Type: "command", Command: "cco statusline"}

// Insert then Remove gives back the very bytes the user had, whatever
// their layout, and every other member is untouched in between.
func TestInsertRemoveKeepsEveryByte(t *testing.T) {
	docs := map[string]string{
		"two spaces": "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"A\": \"1\"\n  },\n  \"hooks\": {}\n}\n",
		"four":       "{\n    \"model\": \"opus\",\n    \"permissions\": {\"allow\": [\"Bash(ls:*)\"]}\n}",
		"tabs":       "{\n\t\"model\": \"opus\"\n}\n",
		"one line":   `{"model":"opus","n":1.50e3}`,
		"crlf":       "{\r\n  \"model\": \"opus\"\r\n}\r\n",
		"unicode":    "{\n  \"note\": \"caf\u00e9 \u65e5\u672c \\u00e9\",\n  \"x\": null\n}\n",
		"odd spaces": "  {  \"a\" :1 ,\"b\":[ 1,2 ] }  \n",
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			o, err := Parse([]byte(doc))
			require.NoError(t, err)
			out, err := o.Insert([]byte(doc), "statusLine", ours)
			require.NoError(t, err)

			var before, after map[string]any
			require.NoError(t, json.Unmarshal([]byte(doc), &before))
			require.NoError(t, json.Unmarshal(out, &after), "%s", out)
			assert.Equal(t, map[string]any{"type": "command", "command": "cco statusline"}, after["statusLine"])
			delete(after, "statusLine")
			assert.Equal(t, before, after)

			o2, err := Parse(out)
			require.NoError(t, err)
			i := o2.Find("statusLine")
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, doc, string(o2.Remove(out, i)), "removing what was added restores the file byte for byte")
		})
	}
}

func TestInsertFollowsTheIndent(t *testing.T) {
	doc := "{\n  \"model\": \"opus\"\n}\n"
	o, err := Parse([]byte(doc))
	require.NoError(t, err)
	out, err := o.Insert([]byte(doc), "statusLine", ours)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"model\": \"opus\",\n  \"statusLine\": {\n    \"type\": \"command\",\n    \"command\": \"cco statusline\"\n  }\n}\n", string(out))

	empty := "{}\n"
	o, err = Parse([]byte(empty))
	require.NoError(t, err)
	out, err = o.Insert([]byte(empty), "statusLine", ours)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"statusLine\": {\n    \"type\": \"command\",\n    \"command\": \"cco statusline\"\n  }\n}\n", string(out))
	o, err = Parse(out)
	require.NoError(t, err)
	assert.Equal(t, "{}\n", string(o.Remove(out, 0)))
}

func TestReplaceChangesOnlyTheValue(t *testing.T) {
	doc := "{\n  \"statusLine\": {\"type\": \"command\", \"command\": \"other\"},\n  \"z\": 1\n}\n"
	o, err := Parse([]byte(doc))
	require.NoError(t, err)
	out, err := o.Replace([]byte(doc), o.Find("statusLine"), ours)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"statusLine\": {\n    \"type\": \"command\",\n    \"command\": \"cco statusline\"\n  },\n  \"z\": 1\n}\n", string(out))
}

func TestRemoveFirstMiddleLast(t *testing.T) {
	doc := `{"a": 1, "b": 2, "c": 3}`
	o, err := Parse([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, `{"b": 2, "c": 3}`, string(o.Remove([]byte(doc), 0)))
	assert.Equal(t, `{"a": 1, "c": 3}`, string(o.Remove([]byte(doc), 1)))
	assert.Equal(t, `{"a": 1, "b": 2}`, string(o.Remove([]byte(doc), 2)))
}

func TestParseRefusesWhatIsNotOneObject(t *testing.T) {
	for _, doc := range []string{"", "[]", `"x"`, `{"a":1} {"b":2}`, `{"a":1,}`, `{"a" 1}`, "{\"a\": 1} // comment", `{"a":`} {
		_, err := Parse([]byte(doc))
		assert.Error(t, err, "%q", doc)
	}
}

func TestFindTakesTheLastDuplicate(t *testing.T) {
	o, err := Parse([]byte(`{"k": 1, "k": 2}`))
	require.NoError(t, err)
	assert.Equal(t, 1, o.Find("k"))
	assert.Equal(t, 2, o.Count("k"))
	assert.Equal(t, -1, o.Find("missing"))
}

func FuzzParse(f *testing.F) {
	f.Add(`{"a": {"b": [1, 2]}, "c": "d"}`)
	f.Add("{\n  \"x\": 1\n}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		o, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		out, err := o.Insert([]byte(doc), "statusLine", ours)
		require.NoError(t, err)
		require.True(t, json.Valid(out), "inserting into valid JSON gives valid JSON: %q", out)
		o2, err := Parse(out)
		require.NoError(t, err)
		for i := range o2.Members {
			require.True(t, json.Valid(o2.Remove(out, i)))
		}
	})
}
