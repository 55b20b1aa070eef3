package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/anthropics/cco/config"
	"github.com/spf13/pflag"
)

// Exit codes. 3 is the LSB "program is not running" status.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitNotRunning = 3
	// exitInterrupted is the shell's code for a process ended by Ctrl-C.
	exitInterrupted = 130
)

// usageError is a mistake on the command line: exit 2 with a short usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errNotRunning makes a verb exit 3 after printing its own message.
var errNotRunning = errors.New("not running")

// errSilent is an error the handler has already reported.
type errSilent struct{ code int }

func (e errSilent) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode reports err once and maps it to the process's exit status.
func exitCode(err error, verb string, stderr io.Writer) int {
	var silent errSilent
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &silent):
		return silent.code
	case errors.Is(err, errNotRunning):
		return exitNotRunning
	case errors.As(err, &usage):
		help := "cco " + verb + " --help"
		if c, ok := findCommand(verb); ok && c.passthrough {
			help = "cco help " + verb // its --help is the other program's
		}
		fmt.Fprintf(stderr, "cco %s: %s\nRun '%s' for usage.\n", verb, usage.msg, help)
		return exitUsage
	case errors.Is(err, config.ErrInvalid) && isArgumentError(err):
		// A key or value on the command line, not a configuration.
		fmt.Fprintf(stderr, "cco %s: %s\n", verb, err)
		return exitUsage
	case errors.Is(err, config.ErrInvalid):
		fmt.Fprintf(stderr, "cco %s: invalid configuration:\n  %s\n", verb, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "cco %s: %s\n", verb, err)
		return exitFailure
	}
}

// isArgumentError reports a configuration error about a command's own
// argument (config set KEY VALUE), which names no file.
func isArgumentError(err error) bool {
	var ce *config.Error
	return errors.As(err, &ce) && ce.Where == ""
}
