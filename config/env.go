package config

import (
	"runtime"
	"sort"
	"strings"
)

// processVars are the CCO_* variables cco reads that are not config keys:
// where CCO_HOME is, and what one cco process tells another.
var processVars = map[string]bool{
	"CCO_HOME": true, "CCO_MANAGER": true, "CCO_START_FD": true, "CCO_SERVICE_NAME": true,
	"CCO_BYPASS": true, "CCO_CLAUDE": true, "CCO_CLAUDE_DEPTH": true,
}

// testPrefixes mark variables of cco's own tests, benchmarks and make
// targets.
var testPrefixes = []string{"CCO_TEST_", "CCO_E2E_", "CCO_BENCH_", "CCO_TEAM_TEST_", "CCO_WINE_", "CCO_RELIABILITY"}

// UnknownEnv names the CCO_* variables in environ (KEY=VALUE entries) that
// cco does not read (an empty one is as if unset), with the variable of the key a typo is likely to have
// meant: CCO_PROT=4000 changes nothing, silently, unless someone says so.
func UnknownEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		// Windows reads environment names whatever their case.
		upper := name
		if runtime.GOOS == "windows" {
			upper = strings.ToUpper(name)
		}
		if value == "" || !strings.HasPrefix(upper, "CCO_") || processVars[upper] || hasAnyPrefix(upper, testPrefixes) {
			continue
		}
		if _, ok := keyOfEnv(upper); ok {
			continue
		}
		msg := name + " is not a cco setting and is ignored"
		if near := nearestVar(upper); near != "" {
			msg += "; did you mean " + near + "?"
		}
		out = append(out, msg)
	}
	sort.Strings(out)
	return out
}

// nearestVar is the variable cco reads within two edits of name (an
// CCO_ name, in any case), if exactly one is nearest.
func nearestVar(name string) string {
	var vars []string
	for _, k := range Keys {
		vars = append(vars, k.EnvName())
	}
	for v := range processVars {
		vars = append(vars, v)
	}
	return nearest(strings.ToUpper(name), vars)
}

// keyOfEnv is the key whose variable is name (CCO_PORT: port).
func keyOfEnv(name string) (Key, bool) {
	for _, k := range Keys {
		if k.EnvName() == name {
			return k, true
		}
	}
	return Key{}, false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
