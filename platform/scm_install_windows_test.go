package platform

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The portable quoting must be exactly what mgr.CreateService writes.
func TestWindowsQuoteIsEscapeArg(t *testing.T) {
	for _, in := range []string{`C:\cco\cco.exe`, `C:\Program Files\cco\cco.exe`, `C:\a dir\`, `say "hi"`, `a\"b`, ``, "tab\there", `\\server\share\x y\`} {
		assert.Equal(t, syscall.EscapeArg(in), windowsQuote(in), "quoting %q", in)
	}
}
