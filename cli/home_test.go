package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDaemonArgsMakeConfigAbsolute(t *testing.T) {
	home := isolate(t)
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "my.toml"), []byte("[daemon]\n"), 0o600))
	f := addStartFlags(newFlags("start", nil))
	require.NoError(t, f.fs.parse([]string{"--config", "my.toml", "--port", "4001", "--wait", "5s"}))
	o, _, err := f.options(nil)
	require.NoError(t, err)
	assert.Equal(t, home, o.Config.Home)
	assert.ElementsMatch(t, []string{"--config=" + filepath.Join(dir, "my.toml"), "--port=4001"}, o.Args, "--wait is start's own, not the daemon's")
}
