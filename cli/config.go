package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/anthropics/cco/config"
)

// configDetails lists the keys, so that --help is enough to use config set.
func configDetails() string {
	var b strings.Builder
	b.WriteString("Keys (config.toml's [daemon] table; also CCO_<KEY> in the environment):\n")
	for _, k := range config.Keys {
		fmt.Fprintf(&b, "  %-28s %s (default %q)\n", k.Name, k.Allowed, k.Default)
	}
	b.WriteString(`
Examples:
  cco config show                      every key, its value and where it came from
  cco config set port 3001             checked, then written atomically
  cco config set cache_size 512MiB
  cco config unset port                back to the default
  cco reload                           apply to the running daemon (port and host: cco restart)`)
	return b.String()
}

func cmdConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config", stdout)
	file := fs.String("config", "", "the config `FILE` to use instead of CCO_HOME/config.toml")
	asJSON := fs.Bool("json", false, "show: print JSON")
	fs.SetInterspersed(true)
	if err := fs.parse(negativeValue(args)); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usageError{"config needs a subcommand: show, get, set, unset, path or validate"}
	}
	want := map[string]int{"show": 0, "get": 1, "set": 2, "unset": 1, "path": 0, "validate": 0}
	n, ok := want[rest[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown config subcommand %q (use show, get, set, unset, path or validate)", rest[0])}
	}
	if len(rest)-1 != n {
		form := map[string]string{"show": "show", "get": "get KEY", "set": "set KEY VALUE", "unset": "unset KEY", "path": "path", "validate": "validate"}[rest[0]]
		return usageError{fmt.Sprintf("usage: cco config %s (%d argument(s) given; see 'cco help config' for the keys)", form, len(rest)-1)}
	}
	path, err := configFile(*file)
	if err != nil {
		return err
	}
	if rest[0] == "set" || rest[0] == "unset" {
		if err := checkConfigHome(path, rest[0] == "set"); err != nil {
			return err
		}
	}
	switch rest[0] {
	case "path":
		fmt.Fprintln(stdout, path)
		return nil
	case "set":
		changed, err := config.Set(path, rest[1], rest[2])
		if err != nil {
			return err
		}
		if changed {
			fmt.Fprintf(stdout, "set %s in %s\n", rest[1], path)
		} else {
			fmt.Fprintf(stdout, "%s already says %s = %s; nothing changed\n", path, rest[1], rest[2])
		}
		return nil
	case "unset":
		changed, err := config.Unset(path, rest[1])
		if err != nil {
			return err
		}
		if changed {
			fmt.Fprintf(stdout, "unset %s in %s\n", rest[1], path)
		} else {
			fmt.Fprintf(stdout, "%s does not set %s; nothing changed\n", path, rest[1])
		}
		return nil
	}
	cfg, err := loadConfig(*file, nil)
	if err != nil {
		return err
	}
	switch rest[0] {
	case "get":
		k, ok := config.LookupKey(rest[1])
		if !ok {
			return config.UnknownKey("", rest[1])
		}
		fmt.Fprintln(stdout, cfg.Value(k.Name))
	case "validate":
		for _, w := range config.UnknownEnv(os.Environ()) {
			fmt.Fprintf(stderr, "cco config validate: warning: %s\n", w)
		}
		if _, err := os.Stat(cfg.File); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stdout, "no config file at %s, so the defaults apply (with the environment's CCO_* keys): ok\n", cfg.File)
			break
		}
		fmt.Fprintf(stdout, "%s: ok\n", cfg.File)
	case "show":
		return showConfig(cfg, *asJSON, stdout)
	}
	return nil
}

func showConfig(cfg *config.Config, asJSON bool, stdout io.Writer) error {
	if asJSON {
		type entry struct {
			Key    string `json:"key"`
			Value  string `json:"value"`
			Source string `json:"source"`
		}
		out := []entry{}
		for _, k := range config.Keys {
			out = append(out, entry{k.Name, cfg.Value(k.Name), string(cfg.Sources[k.Name])})
		}
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "# %s\n", cfg.File)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, k := range config.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, cfg.Value(k.Name), cfg.Sources[k.Name])
	}
	return tw.Flush()
}

// checkConfigHome applies CCO_HOME's rules (config.EnsureHome) before an
// edit writes into it: created 0700 when missing (by set only: unset never
// creates anything), refused when others may write it.
func checkConfigHome(path string, create bool) error {
	home, err := config.HomeDir()
	if err != nil || filepath.Dir(path) != home {
		return err
	}
	if _, err := os.Stat(home); err != nil && !create {
		return nil
	}
	return config.EnsureHome(home)
}

// configFile is --config when given, else CCO_HOME/config.toml.
func configFile(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	home, err := config.HomeDir()
	if err != nil {
		return "", err
	}
	return config.DefaultFile(home), nil
}

// negativeValue lets 'config set KEY -1' mean the value -1, not a flag -1:
// a number after set's KEY is the value, so flag parsing stops before it.
func negativeValue(args []string) []string {
	for i, a := range args {
		if a == "--" {
			return args
		}
		if a != "set" {
			continue
		}
		if v := i + 2; v < len(args) && strings.HasPrefix(args[v], "-") {
			if _, err := strconv.ParseFloat(args[v], 64); err == nil {
				return slices.Concat(args[:v], []string{"--"}, args[v:])
			}
		}
		return args
	}
	return args
}
