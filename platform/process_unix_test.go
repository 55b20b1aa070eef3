//go:build unix

package platform

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcessHandleOutlivesItsPID(t *testing.T) {
	cmd := exec.Command("sleep", "600")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })

	p, err := OpenProcess(cmd.Process.Pid)
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, cmd.Process.Pid, p.PID())
	assert.False(t, p.Exited())

	require.NoError(t, p.Terminate())
	err = cmd.Wait() // reaped: the PID is free for anyone now
	assert.ErrorContains(t, err, "terminated")
	assert.True(t, p.Exited())
	// The handle still names the dead process, not whoever gets the PID
	// next: signals through it go nowhere.
	assert.ErrorIs(t, p.Terminate(), ErrProcessGone)
	assert.ErrorIs(t, p.Kill(), ErrProcessGone)

	_, err = OpenProcess(cmd.Process.Pid)
	if err == nil {
		t.Log("the PID was reused already; skipping the open-a-dead-PID check")
	} else {
		assert.ErrorIs(t, err, ErrProcessGone)
	}
}

func TestProcessKill(t *testing.T) {
	cmd := exec.Command("sh", "-c", "trap '' TERM; sleep 600")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	p, err := OpenProcess(cmd.Process.Pid)
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.Kill())
	err = cmd.Wait()
	assert.ErrorContains(t, err, "killed")
	assert.True(t, p.Exited())
}
