package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

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
		fmt.Fprintf(stdout, "Usage: %s\n\n%s\n", strings.TrimSpace("cco "+name+" "+cmd.args), cmd.summary)
		if cmd.details != "" {
			fmt.Fprintf(stdout, "\n%s\n", cmd.details)
		}
		if f.HasFlags() {
			fmt.Fprintf(stdout, "\nFlags:\n%s", flagUsages(f.FlagSet))
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

// flagUsages lists the flags as people write them: a switch as --json
// (pflag's own listing shows --json[=true|false]), a flag with a value as
// --since DURATION, the default when it is not the zero value.
func flagUsages(fs *pflag.FlagSet) string {
	type line struct{ name, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" && varname != "" {
			name += " " + strings.ToUpper(varname)
		}
		switch f.DefValue {
		case "", "false", "0", "[]":
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, line{name, usage})
		width = max(width, len(name))
	})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, l.name, l.usage)
	}
	return b.String()
}
