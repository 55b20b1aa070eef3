package config

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/anthropics/cco/platform"
	toml "github.com/pelletier/go-toml/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Options says where Load looks.
type Options struct {
	Home  string         // CCO_HOME; HomeDir() when empty
	File  string         // --config, which must exist; Home/config.toml (optional) when empty
	Flags *pflag.FlagSet // flags registered by AddFlags; may be nil
	// NoFile skips the file: the defaults and the environment only, for
	// finding the daemon while the file is the thing being fixed.
	NoFile bool
}

// DefaultFile is the config file inside CCO_HOME.
func DefaultFile(home string) string { return filepath.Join(home, "config.toml") }

// Load builds the effective configuration: default < file < env < flag.
// Every bad value is reported, not only the first.
func Load(opts Options) (*Config, error) {
	if opts.Home == "" {
		h, err := HomeDir()
		if err != nil {
			return nil, err
		}
		opts.Home = h
	}
	named := opts.File != ""
	if !named {
		opts.File = DefaultFile(opts.Home)
	} else if abs, err := filepath.Abs(opts.File); err == nil {
		opts.File = abs
	}
	var data []byte
	if !opts.NoFile {
		if fi, err := os.Stat(opts.Home); err == nil && !fi.IsDir() && !named {
			return nil, &Error{Msg: fmt.Sprintf("CCO_HOME %s is a file, not a directory; move it away or set CCO_HOME to another path", opts.Home)}
		}
		var err error
		var found bool
		if data, found, err = readFile(opts.File); err != nil {
			return nil, err
		}
		if !found && named {
			// Only the default file may be absent: a file named with
			// --config that is not there is a typo, not "use defaults".
			return nil, &Error{Where: opts.File, Msg: "does not exist; check the path given with --config, or leave --config out to use " + DefaultFile(opts.Home)}
		}
	}
	v, err := parseFile(opts.File, data)
	if err != nil {
		return nil, err
	}
	var errs []error
	errs = append(errs, unknownKeys(opts.File, v)...)

	c := &Config{Home: opts.Home, File: opts.File, Sources: map[string]Source{}, raw: map[string]string{}}
	for _, k := range Keys {
		// viper resolves flag > environment > file > default; the
		// lookups beside it only name where the value came from, which
		// viper does not say.
		path := "daemon." + k.Name
		v.SetDefault(path, k.Default)
		_ = v.BindEnv(path, k.EnvName())
		var flag *pflag.Flag
		if opts.Flags != nil {
			// Flags are typed strings (flagValue), so a bad one gets the
			// same message as a bad file value, not a silent cast to zero.
			if flag = opts.Flags.Lookup(k.FlagName()); flag != nil {
				_ = v.BindPFlag(path, flag)
			}
		}
		raw := v.Get(path)
		where, key, src := opts.File, path, SourceDefault
		if v.InConfig(path) {
			src = SourceFile
		}
		if raw == nil {
			// A [daemon] that is not a table shadows the defaults; that
			// mistake is reported by unknownKeys.
			raw, src = k.Default, SourceDefault
		}
		switch {
		case flag != nil && flag.Changed:
			where, key, src = "flag --"+k.FlagName(), "", SourceFlag
		case os.Getenv(k.EnvName()) != "":
			where, key, src = "environment variable "+k.EnvName(), "", SourceEnv
		}
		val, err := k.parse(raw)
		if err != nil {
			if src == SourceDefault {
				panic(fmt.Sprintf("config: default of %s is invalid: %v", k.Name, err))
			}
			errs = append(errs, &Error{Where: where, Key: key, Msg: err.Error(), Allowed: k.Allowed})
			continue
		}
		k.assign(c, val)
		c.Sources[k.Name] = src
		c.raw[k.Name] = format(k, val)
	}
	prices, perrs := parsePrices(opts.File, v)
	errs = append(errs, perrs...)
	c.Prices = prices
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// bom is the byte order mark some Windows editors begin a file with.
const bom = "\ufeff"

// MaxFileSize bounds config.toml: a real one is a few hundred bytes, and a
// link to /dev/zero or a runaway file must not make every verb read forever.
const MaxFileSize = 4 << 20

// readFile reads the config file without ever blocking on it: a FIFO, a
// device, a directory or a file past MaxFileSize is refused. A link is
// followed (dotfile managers link config files) to a regular file only. A
// missing file is no error: the defaults apply.
func readFile(file string) (data []byte, found bool, err error) {
	data, err = platform.ReadRegular(file, MaxFileSize, platform.FollowLinks)
	var fe *platform.FileError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, false, nil
	case errors.As(err, &fe):
		return nil, true, &Error{Where: file, Msg: strings.TrimPrefix(fe.Error(), file+" ")}
	case err != nil:
		return nil, true, &Error{Where: file, Msg: fmt.Sprintf("cannot read: %v", err)}
	}
	return data, true, nil
}

// parseFile reads TOML through viper, turning a syntax error into one that
// names the file and line.
func parseFile(file string, data []byte) (*viper.Viper, error) {
	v := viper.New()
	v.SetConfigType("toml")
	// Windows editors (Notepad) may begin the file with a byte order mark,
	// which TOML does not allow; it says nothing, so it is passed over.
	data = bytes.TrimPrefix(data, []byte(bom))
	if len(data) == 0 {
		return v, nil
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, &Error{Where: file, Msg: "is not a text file (it holds binary data); fix it or move it away"}
	}
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, &Error{Where: fmt.Sprintf("%s:%d:%d", file, row, col), Msg: "TOML syntax error: " + de.Error()}
		}
		return nil, &Error{Where: file, Msg: "TOML syntax error: " + err.Error()}
	}
	return v, nil
}

// unknownKeys catches typos: every key in the file must be a known one.
func unknownKeys(file string, v *viper.Viper) []error {
	var errs []error
	settings := v.AllSettings()
	tops := slices.Sorted(maps.Keys(settings))
	for _, top := range tops {
		switch top {
		case "daemon", "prices":
		default:
			errs = append(errs, &Error{Where: file, Key: top, Msg: "unknown table or key", Allowed: "the tables [daemon] and [prices]"})
			continue
		}
		table, ok := settings[top].(map[string]any)
		if !ok {
			errs = append(errs, &Error{Where: file, Key: top, Msg: "must be a table, written [" + top + "]"})
			continue
		}
		if top != "daemon" {
			continue
		}
		names := slices.Sorted(maps.Keys(table))
		for _, name := range names {
			if _, ok := LookupKey(name); !ok || strings.Contains(name, "-") {
				e := UnknownKey(file, name)
				e.Key = "daemon." + name
				errs = append(errs, e)
			}
		}
	}
	return errs
}
