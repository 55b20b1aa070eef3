package detached

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEnv(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/user/1/systemd/notify")
	t.Setenv("INVOCATION_ID", "abc")
	t.Setenv("CCO_MANAGER", "foreground")
	t.Setenv("CCO_PORT", "4000")
	env := Env("/home/u/.cco")
	joined := "\n" + strings.Join(env, "\n") + "\n"
	assert.NotContains(t, joined, "NOTIFY_SOCKET=", "a service's notify socket is not handed down")
	assert.NotContains(t, joined, "INVOCATION_ID=")
	assert.NotContains(t, joined, "CCO_MANAGER=foreground")
	assert.Contains(t, joined, "\nCCO_MANAGER=detached\n")
	assert.Contains(t, joined, "\nCCO_HOME=/home/u/.cco\n")
	assert.Contains(t, joined, "\nCCO_PORT=4000\n", "config from the environment still applies")
}
