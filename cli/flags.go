package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// flags is a verb's flag set; --help prints the verb's usage.
type flags struct {
	*pflag.FlagSet
	cmd command
}

func newFlags(name string, stdout io.Writer) *flags {
	cmd, _ := findCommand(name)
	f := &flags{FlagSet: pflag.NewFlagSet("cco "+name, pflag.ContinueOnError), cmd: cmd}
	f.SetOutput(io.Discard)
	f.Usage = func() {
		fmt.Fprintf(stdout, "Usage: cco %s %s\n\n%s\n", name, cmd.args, cmd.summary)
		if cmd.details != "" {
			fmt.Fprintf(stdout, "\n%s\n", cmd.details)
		}
		if f.HasFlags() {
			fmt.Fprintf(stdout, "\nFlags:\n%s", f.FlagUsages())
		}
	}
	return f
}

// parse parses args, turning pflag's errors into usage errors, and refuses
// operands for a verb that takes none.
func (f *flags) parse(args []string) error {
	err := f.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return err // pflag has printed the usage
	}
	if err != nil {
		return usageError{err.Error()}
	}
	if !f.cmd.operands && f.NArg() > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments (got %q)", f.cmd.name, f.Arg(0))}
	}
	return nil
}
