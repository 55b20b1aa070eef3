package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/anthropics/cco/client"
	"github.com/anthropics/cco/config"
)

// opener shows url in the user's browser. It returns errNoBrowser when the
// machine has no graphical session to show it in.
type opener func(ctx context.Context, url string) error

var errNoBrowser = errors.New("no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)")

// openerWait is how long cco waits for the opener to report failure; an
// opener still running after it has started a browser in the foreground.
const openerWait = 5 * time.Second

func cmdDashboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runDashboard(ctx, args, stdout, stderr, systemOpener(runtime.GOOS, os.Getenv))
}

func runDashboard(ctx context.Context, args []string, stdout, stderr io.Writer, open opener) error {
	fs := newFlags("dashboard", stdout)
	file := fs.String("config", "", "the config `FILE` to use instead of CCO_HOME/config.toml")
	printOnly := fs.Bool("print", false, "print the dashboard's URL instead of opening a browser")
	config.AddFlags(fs.FlagSet, "port", "host")
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*file, fs.FlagSet)
	if err != nil {
		return err
	}
	// The running daemon's own address, unless another is named.
	c := client.ForConfig(cfg)
	if cfg.Sources["port"] == config.SourceFlag || cfg.Sources["host"] == config.SourceFlag {
		c = client.New(cfg.URL(), cfg.TokenPath())
	}
	base := c.URL()
	if err := checkDaemon(ctx, c); err != nil {
		fmt.Fprintf(stderr, "cco dashboard: the cco daemon is not running at %s: %v\n"+
			"Start it with 'cco start' (or 'cco run' in the foreground), or name its address with --port/--host.\n", base, err)
		return errNotRunning
	}
	url := base + "/"
	if *printOnly {
		fmt.Fprintln(stdout, url)
		return nil
	}
	if err := open(ctx, url); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(stderr, "cco dashboard: cannot open a browser here (%v); open this URL yourself:\n", err)
		fmt.Fprintln(stdout, url)
		return nil
	}
	fmt.Fprintf(stdout, "opened %s in your browser\n", url)
	return nil
}

// checkDaemon asks whether a cco daemon answers /health at c's address.
func checkDaemon(ctx context.Context, c *client.Client) error {
	h, err := c.Health(ctx)
	switch {
	case errors.Is(err, client.ErrNotRunning):
		return errors.New("nothing answers there")
	case err != nil:
		return fmt.Errorf("something else answers there (GET /health: %v)", err)
	case h.Status != "ok":
		return fmt.Errorf("something else answers there (GET /health says %q)", h.Status)
	}
	return nil
}

// systemOpener opens URLs with the platform's own handler: open on macOS,
// the URL protocol handler on Windows, xdg-open elsewhere when there is a
// display to open a browser on.
func systemOpener(goos string, getenv func(string) string) opener {
	return func(ctx context.Context, url string) error {
		var argv []string
		switch goos {
		case "darwin":
			argv = []string{"open", url}
		case "windows":
			argv = []string{"rundll32", "url.dll,FileProtocolHandler", url}
		default:
			if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
				return errNoBrowser
			}
			argv = []string{"xdg-open", url}
		}
		path, err := exec.LookPath(argv[0])
		if err != nil {
			return fmt.Errorf("%s is not installed: %w", argv[0], err)
		}
		// Not CommandContext: the browser it starts must outlive cco.
		cmd := exec.Command(path, argv[1:]...)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("running %s: %w", argv[0], err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("%s failed: %w", argv[0], err)
			}
			return nil
		case <-time.After(openerWait):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
