package config

import (
	"fmt"
	"sort"
	"strings"
)

// processVars are the CCO_* variables cco reads that are not config keys:
// where CCO_HOME is, and what one cco process tells another.
var processVars = map[string]bool{
	"CCO_HOME": true, "CCO_MANAGER": true, "CCO_START_FD": true, "CCO_SERVICE_NAME": true,
	"CCO_BYPASS": true, "CCO_CLAUDE": true, "CCO_CLAUDE_DEPTH": true,
}

// testPrefixes mark variables of cco's own tests and benchmarks.
var testPrefixes = []string{"CCO_TEST_", "CCO_E2E_", "CCO_BENCH_"}

// UnknownEnv names the CCO_* variables in environ (KEY=VALUE entries) that
// cco does not read (an empty one is as if unset), with the variable of the key a typo is likely to have
// meant: CCO_PROT=4000 changes nothing, silently, unless someone says so.
func UnknownEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if value == "" || !strings.HasPrefix(name, "CCO_") || processVars[name] || hasAnyPrefix(name, testPrefixes) {
			continue
		}
		if _, ok := keyOfEnv(name); ok {
			continue
		}
		msg := name + " is not a cco setting and is ignored"
		if near := nearestKey(strings.TrimPrefix(name, "CCO_")); near != "" {
			msg += fmt.Sprintf("; did you mean CCO_%s?", strings.ToUpper(near))
		}
		out = append(out, msg)
	}
	sort.Strings(out)
	return out
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
