package cli

import (
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/internal/job"
	"github.com/hitreflect/hitreflect/pipeline"
)

func (e *env) runCmd() *cobra.Command {
	var cfgPath string
	var wait time.Duration
	var force bool
	c := &cobra.Command{
		Use:   "run --config FILE [--wait 10m]",
		Short: "The whole nightly job once: fetch and load every source, then metrics, the research export and the packets",
		Long: `Runs the whole job once: every source is fetched and loaded (one failing source
does not stop the others), then every metric family is written as CSV under
<output>/metrics/, the research export under <output>/exports/ when the
pseudonym key is set, and the reflection packets the config's reports: asks
for (by default every audience's, for the year) under <output>/<period>/. The
oldest metrics folders, exports and summaries beyond the config's keep: are
deleted. The summary goes to the log, to <output>/runs/ and to the
warehouse's runs table. Exit code 1 when anything failed.

Only one hitreflect process works on a warehouse at a time: with --wait, run
waits that long for another to finish; without, it says who holds it and
stops.

When no file is new and neither the config nor hitreflect changed since the
last good run, the metrics, export and packets are not computed again: that
run's outputs stand, and the summary says so. --force recomputes them.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := e.setup(cfgPath)
			if err != nil {
				return err
			}
			w, done, err := e.openLocked(s, wait)
			if err != nil {
				return err
			}
			defer done()
			sum, err := job.Run(e.ctx, s, w, job.RunOptions{
				Ingest:  pipeline.IngestOptions{OnFile: e.progress(), OnStage: e.stageDisplay()},
				Log:     e.logger(),
				Version: Version,
				Force:   force,
			})
			e.clearProgress()
			if sum != nil {
				writeRunSummary(e.stdout, sum)
			}
			if err != nil {
				return err
			}
			if sum.Status != "ok" {
				return errFailed
			}
			if len(sum.Warnings) > 0 {
				return errWarnings
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().DurationVar(&wait, "wait", 0, "how long to wait if another hitreflect process holds the warehouse")
	c.Flags().BoolVar(&force, "force", false, "recompute the metrics, export and packets even when nothing changed since the last run")
	return c
}

// logger writes structured logs to stderr: readable text on a terminal,
// JSON lines otherwise (for journald, cron mail, log shippers).
func (e *env) logger() *slog.Logger {
	if isTerminal(e.stderr) {
		return slog.New(slog.NewTextHandler(e.stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, nil))
}

func writeRunSummary(w io.Writer, sum *job.RunSummary) {
	fmt.Fprintf(w, "\nRun of %s: %s in %.1fs (fetch and load %.1fs)\n", sum.Started.Format("2006-01-02 15:04"), sum.Status, sum.Finished.Sub(sum.Started).Seconds(), sum.IngestSeconds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "source\tfiles\tloaded\talready loaded\trejected or failed\trows loaded\trows rejected\t")
	for _, s := range sum.Sources {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t\n", s.Source, s.Files, s.FilesNew, s.FilesSeen, s.FilesFailed, num(s.RowsLoaded), num(s.RowsRejected))
	}
	tw.Flush()
	for _, s := range sum.Sources {
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  %s: %s\n", s.Source, e)
		}
	}
	for _, wn := range sum.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", wn)
	}
	for _, st := range []struct {
		name string
		s    job.StageSummary
	}{{"metrics", sum.Metrics}, {"research export", sum.Export}, {"reflection packets", sum.Reports}} {
		switch {
		case st.s.Error != "":
			fmt.Fprintf(w, "%s: FAILED: %s\n", st.name, st.s.Error)
		case st.s.Kept:
			fmt.Fprintf(w, "%s: %s (%s)\n", st.name, st.s.Note, st.s.Output)
		case st.s.Done:
			fmt.Fprintf(w, "%s: written to %s", st.name, st.s.Output)
			if st.s.OlderRemoved > 0 {
				fmt.Fprintf(w, " (%d older removed, as keep: in the config says)", st.s.OlderRemoved)
			}
			if st.s.Note != "" {
				fmt.Fprintf(w, "; %s", st.s.Note)
			}
			fmt.Fprintf(w, " (%.1fs)\n", st.s.Seconds)
		default:
			fmt.Fprintf(w, "%s: %s\n", st.name, st.s.Note)
		}
	}
}
