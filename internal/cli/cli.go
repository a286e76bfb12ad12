// Package cli is hitreflect's command line. Run returns the exit code and
// never exits, so every command can be tested in-process:
// 0 ok, 1 some file or source failed, 2 usage or config error.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/internal/wiring"
	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1 // something failed: a source, a file rejected whole, a stage
	ExitUsage  = 2 // the command or the config is wrong
	// ExitWarnings: everything ran, but a person should look: a file with
	// more rejected rows than alerts.reject_share, a source silent longer
	// than its expect_every.
	ExitWarnings = 3
)

// Version is set at build time with -ldflags "-X .../cli.Version=…".
var Version = "dev"

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, args...)}
}

// failed reports that the command ran but something needs attention.
var errFailed = &exitError{ExitFailed, errors.New("")}

// errWarnings reports that the command ran, with warnings printed.
var errWarnings = &exitError{ExitWarnings, errors.New("")}

// env is what every command shares.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	bar    *progressbar.ProgressBar // the terminal's progress display, while a file loads
	// stopTicker ends the goroutine that keeps the display moving.
	stopTicker func()
	// release gives up the warehouse locks the command took (Run calls it).
	release []func()
}

// Run runs hitreflect with args (without the program name).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "hitreflect",
		Short:         "Tutoring program data, from provider exports to reflection meeting packets",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetVersionTemplate(versionTemplate())
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{ExitUsage, fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(e.ingestCmd(), e.checkCmd(), e.statusCmd(), e.rejectsCmd(), e.metricsCmd(), e.exportCmd(), e.runCmd(), e.scheduleCmd(), e.demoCmd(), e.reportCmd(), e.benchCmd(), e.profileCmd())
	stopProfile := startCPUProfile(stderr)
	err := root.ExecuteContext(ctx)
	stopProfile()
	for _, r := range e.release {
		r()
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(stderr, "hitreflect:", ee.err)
		}
		return ee.code
	}
	var ce config.Errors
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, "hitreflect: the config has problems:")
		for _, one := range ce {
			fmt.Fprintln(stderr, "  "+one.Error())
		}
		return ExitUsage
	}
	if isUsage(err) {
		fmt.Fprintln(stderr, "hitreflect:", err)
		return ExitUsage
	}
	fmt.Fprintln(stderr, "hitreflect:", err)
	return ExitFailed
}

// isUsage recognises cobra's own complaints (unknown command, wrong args).
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "accepts ", "requires ", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// setup reads and checks the config named by --config.
func (e *env) setup(path string) (*pipeline.Setup, error) {
	if path == "" {
		return nil, usageErr("--config is required: the path of your hitreflect.yaml")
	}
	s, err := pipeline.Prepare(path, wiring.Connectors())
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			return nil, err
		}
		return nil, &exitError{ExitUsage, err}
	}
	return s, nil
}

// open reads the config and opens its warehouse, for a command that reads
// it (status, rejects, metrics, report, export); the caller closes it. It
// takes the warehouse's lock first, waiting up to wait: while ingest or run
// holds the warehouse, DuckDB would refuse a second process with a raw
// lock error, so the reader says plainly who holds it, or waits its turn.
func (e *env) open(cfgPath string, wait time.Duration) (*pipeline.Setup, *warehouse.Warehouse, error) {
	s, err := e.setup(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	lock, err := pipeline.AcquireLock(e.ctx, s.Config.WarehousePath(), wait, func(holder string) {
		fmt.Fprintf(e.stderr, "Waiting for another hitreflect process to finish with the warehouse (%s) …\n", holder)
	})
	if errors.Is(err, pipeline.ErrLocked) {
		// the setup still serves a reader that can answer without the warehouse
		return s, nil, &exitError{ExitFailed, fmt.Errorf("%w; or add --wait 30m to wait for it", err)}
	}
	if err != nil {
		return nil, nil, err
	}
	e.release = append(e.release, func() { lock.Release() })
	w, err := s.OpenWarehouse(e.ctx)
	if err != nil {
		return nil, nil, err
	}
	return s, w, nil
}

// addWait gives a reading command its --wait flag.
func addWait(c *cobra.Command, wait *time.Duration) {
	c.Flags().DurationVar(wait, "wait", 0, "how long to wait if a hitreflect ingest or run holds the warehouse (default: say so and stop)")
}

// openLocked opens the warehouse for loading, under its lock; another
// process holding it is a failure to report (exit 1), not a crash.
func (e *env) openLocked(s *pipeline.Setup, wait time.Duration) (*warehouse.Warehouse, func(), error) {
	w, done, err := s.OpenLocked(e.ctx, wait, func(holder string) {
		fmt.Fprintf(e.stderr, "Waiting for another hitreflect process to finish with the warehouse (%s) …\n", holder)
	})
	if errors.Is(err, pipeline.ErrLocked) {
		return nil, nil, &exitError{ExitFailed, err}
	}
	return w, done, err
}

// isTerminal says whether w is a terminal a progress display can draw on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
