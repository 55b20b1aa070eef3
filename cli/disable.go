package cli

import (
	"context"
	"fmt"
	"io"
)

func cmdDisable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	m, err := serviceForVerb(ctx, "disable", args, stdout)
	if err != nil {
		return err
	}
	if err := m.Disable(ctx); err != nil {
		return serviceError(err)
	}
	fmt.Fprintf(stdout, "autostart disabled: the %s service stays installed and starts only with 'cco start'\n", m.Kind())
	return nil
}
