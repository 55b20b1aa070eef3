package platform

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSCM records the calls an install makes and fails the one named in
// failAt (and the rollback's Delete when failDelete is set).
type fakeSCM struct {
	calls      []string
	failAt     string
	failDelete bool
	exists     bool
	got        scmService
}

var errFake = errors.New("access to the fake SCM failed")

func (f *fakeSCM) call(name string) error {
	f.calls = append(f.calls, name)
	if name == f.failAt {
		return errFake
	}
	return nil
}

func (f *fakeSCM) Create(s scmService) error {
	f.got = s
	if err := f.call("Create"); err != nil {
		return err
	}
	f.exists = true
	return nil
}
func (f *fakeSCM) SetRecovery(s scmService) error        { return f.call("SetRecovery") }
func (f *fakeSCM) SetRecoveryOnNonZeroExit(string) error { return f.call("SetRecoveryOnNonZeroExit") }
func (f *fakeSCM) SetEnv(string, []EnvVar) error         { return f.call("SetEnv") }
func (f *fakeSCM) AddEventSource(string) error           { return f.call("AddEventSource") }
func (f *fakeSCM) Delete(string) error {
	f.calls = append(f.calls, "Delete")
	if f.failDelete {
		return errors.New("the fake SCM cannot delete")
	}
	f.exists = false
	return nil
}

func testSCMService(t *testing.T) scmService {
	t.Helper()
	s := testSettings(`C:\Program Files\cco\cco.exe`, `C:\Users\alice\.cco`)
	c, err := newSCMService(s)
	require.NoError(t, err)
	return c
}

func TestSCMInstallAllSteps(t *testing.T) {
	f := &fakeSCM{}
	c := testSCMService(t)
	require.NoError(t, installSCMService(f, c))
	assert.Equal(t, []string{"Create", "SetRecovery", "SetRecoveryOnNonZeroExit", "SetEnv", "AddEventSource"}, f.calls)
	assert.True(t, f.exists)
	// The recovery delay is the one every manager uses.
	assert.Equal(t, RestartDelay, f.got.RestartDelay)
	assert.Equal(t, RecoveryResetPeriod, f.got.ResetPeriod)
}

// A step failing after the creation removes the service again, and the
// error names the step.
func TestSCMInstallRollsBack(t *testing.T) {
	for step, words := range map[string]string{
		"SetRecovery":              "setting the recovery action (restart after 10s) failed",
		"SetRecoveryOnNonZeroExit": "setting recovery on a non-zero exit failed",
		"SetEnv":                   "setting the service's environment failed",
		"AddEventSource":           "registering the event log source failed",
	} {
		t.Run(step, func(t *testing.T) {
			f := &fakeSCM{failAt: step}
			err := installSCMService(f, testSCMService(t))
			require.Error(t, err)
			assert.ErrorIs(t, err, errFake)
			assert.Contains(t, err.Error(), words)
			assert.Contains(t, err.Error(), "the service was removed again")
			assert.False(t, f.exists, "the service is left installed")
			assert.Equal(t, "Delete", f.calls[len(f.calls)-1])
			var se *InstallStepError
			require.ErrorAs(t, err, &se)
			assert.NoError(t, se.RollbackErr)
		})
	}
}

func TestSCMInstallCreateFails(t *testing.T) {
	f := &fakeSCM{failAt: "Create"}
	err := installSCMService(f, testSCMService(t))
	require.ErrorIs(t, err, errFake)
	assert.Contains(t, err.Error(), "creating the service failed")
	assert.NotContains(t, err.Error(), "removed")
	assert.Equal(t, []string{"Create"}, f.calls, "nothing was created, so nothing is deleted")
}

func TestSCMInstallRollbackFails(t *testing.T) {
	f := &fakeSCM{failAt: "SetRecovery", failDelete: true}
	err := installSCMService(f, testSCMService(t))
	require.ErrorIs(t, err, errFake)
	assert.Contains(t, err.Error(), "removing the half-installed service failed too")
	assert.Contains(t, err.Error(), "sc.exe delete "+ServiceName)
}

// windowsCommandLine quotes as syscall.EscapeArg does (and so as
// mgr.CreateService writes the binary path), which the update path
// compares with.
func TestWindowsCommandLine(t *testing.T) {
	for in, want := range map[string]string{
		`C:\cco\cco.exe`:               `C:\cco\cco.exe`,
		`C:\Program Files\cco\cco.exe`: `"C:\Program Files\cco\cco.exe"`,
		`C:\a dir\`:                    `"C:\a dir\\"`,
		`say "hi"`:                     `"say \"hi\""`,
		`a\"b`:                         `a\\\"b`,
		"":                             `""`,
		"tab\there":                    "\"tab\there\"",
	} {
		assert.Equal(t, want, windowsQuote(in), "quoting %q", in)
	}
	assert.Equal(t, `"C:\Program Files\cco\cco.exe" daemon run`, windowsCommandLine(`C:\Program Files\cco\cco.exe`, ServiceArgs))
	assert.False(t, strings.Contains(windowsCommandLine("x", nil), " "))
}
