package config

import (
	"strings"

	"github.com/spf13/pflag"
)

// flagValue keeps a flag's text as given; Load parses and validates it like
// any other source, so a bad flag reads like a bad file value.
type flagValue struct {
	s   string
	typ string
}

func (f *flagValue) String() string     { return f.s }
func (f *flagValue) Set(s string) error { f.s = s; return nil }
func (f *flagValue) Type() string       { return f.typ }

// AddFlags registers a flag for each named key (flag spelling: cache-size).
func AddFlags(fs *pflag.FlagSet, names ...string) {
	for _, name := range names {
		k, ok := LookupKey(name)
		if !ok {
			panic("config: no key " + name)
		}
		// The type is what --help shows after the flag: --port PORT,
		// --log-level LEVEL, --cache-size SIZE.
		typ := k.Name[strings.LastIndexByte(k.Name, '_')+1:]
		if k.kind == kindBool {
			typ = "bool"
		}
		fs.Var(&flagValue{typ: typ}, k.FlagName(), strings.TrimSuffix(describeKey(k), "."))
	}
}

func describeKey(k Key) string {
	return k.Name + ": " + k.Allowed + "; default " + k.Default
}

// FlagArgs turns the flags that were given back into arguments, so a parent
// can hand them to the daemon it spawns.
func FlagArgs(fs *pflag.FlagSet) []string {
	var out []string
	fs.Visit(func(f *pflag.Flag) {
		if _, ok := f.Value.(*flagValue); ok || f.Name == "config" {
			out = append(out, "--"+f.Name+"="+f.Value.String())
		}
	})
	return out
}
