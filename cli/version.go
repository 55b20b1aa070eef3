package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildCommit falls back to the VCS stamp Go records, so a plain `go build`
// still says which commit it is.
func buildCommit() string {
	if build.Commit != "" {
		return build.Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "unknown"
}

func cmdVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stdout)
	if err := fs.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cco %s\ncommit %s\n%s %s/%s\n", build.Version, buildCommit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
