package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCleanModel(t *testing.T) {
	assert.Equal(t, "claude-opus-5-5", cleanModel("claude-opus-5-5"))
	assert.Equal(t, "bad?name?", cleanModel("bad\x00name\n"))
	long := cleanModel(strings.Repeat("x", 8<<20))
	assert.LessOrEqual(t, len(long), maxModelName)
	assert.True(t, strings.HasSuffix(long, "…"), "a cut name says it was cut")
	assert.LessOrEqual(t, len(cleanModel(strings.Repeat("é", 300))), maxModelName, "cut at a character boundary")
	assert.True(t, strings.HasSuffix(cleanModel(strings.Repeat("é", 300)), "é…"))
}

func TestModelLabelsAreBounded(t *testing.T) {
	var l modelLabels
	assert.Equal(t, "unknown", l.label(""))
	for i := range maxModelLabels {
		assert.Equal(t, fmt.Sprint("m", i), l.label(fmt.Sprint("m", i)))
	}
	assert.Equal(t, "other", l.label("one-too-many"))
	assert.Equal(t, "m3", l.label("m3"), "models admitted earlier keep their label")

	var fresh modelLabels
	assert.Equal(t, "other (model)", fresh.label("other"), "a model named like a reserved label is not counted with it")
	assert.Equal(t, "unknown (model)", fresh.label("unknown"))
}
