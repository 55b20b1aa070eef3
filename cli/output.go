package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// writeJSON writes v as --json prints it: indented by two spaces.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a terminal (not a pipe, a file or
// /dev/null, which is a character device too).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressLine rewrites one line on a terminal; on anything else it is
// silent, so scripts and logs get only the final result.
type progressLine struct{ w io.Writer }

func newProgress(w io.Writer) progressLine {
	if !isTerminal(w) {
		return progressLine{}
	}
	return progressLine{w: w}
}

func (p progressLine) show(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, "\r\033[K"+format, args...)
	}
}

func (p progressLine) clear() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// seconds prints a duration the way people read start and stop times.
func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// printLines prints a log excerpt under a heading.
func printLines(w io.Writer, heading string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, heading)
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
