package cli

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/ingest"
)

func (e *env) ingestCmd() *cobra.Command {
	var cfgPath, source string
	c := &cobra.Command{
		Use:   "ingest --config FILE [--source NAME] [PATH...]",
		Short: "Fetch new files from every source and load them into the warehouse",
		Long: `Fetches each source's files and loads the new ones. Every row is loaded,
rejected with a reason (see 'hitreflect rejects'), counted as a duplicate, or
skipped on purpose; a file lands whole or not at all; a file loaded before is
not loaded again. Naming files (with --source) loads those instead of fetching.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && source == "" {
				return usageErr("naming files needs --source NAME, to know how to read them")
			}
			s, err := e.setup(cfgPath)
			if err != nil {
				return err
			}
			w, done, err := e.openLocked(s, 0)
			if err != nil {
				return err
			}
			defer done()
			if err := knownSource(s, source); err != nil {
				w.Close()
				return err
			}
			results, err := s.Ingest(e.ctx, w, pipeline.IngestOptions{Source: source, Paths: args, OnFile: e.progress(), OnStage: e.stageDisplay()})
			e.clearProgress()
			if err != nil {
				return err
			}
			warnings := s.RejectWarnings(results)
			if source == "" {
				stale, err := s.StaleSources(e.ctx, w.DB, time.Now())
				if err != nil {
					return err
				}
				warnings = append(warnings, stale...)
			}
			if err := e.summarise(results); err != nil {
				e.printWarnings(warnings)
				return err
			}
			if e.printWarnings(warnings) {
				return errWarnings
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().StringVar(&source, "source", "", "only this source")
	return c
}

// progress prints one line per file as it finishes.
func (e *env) progress() func(source, path string, r *ingest.Result) {
	return func(source, path string, r *ingest.Result) {
		if r == nil {
			return
		}
		e.clearProgress()
		fmt.Fprintln(e.stdout, fileLine(source, path, r))
		for _, n := range r.Notes {
			fmt.Fprintf(e.stdout, "    note: %s\n", n)
		}
		for _, rej := range firstN(r.Rejects, 3) {
			fmt.Fprintf(e.stdout, "    reject %s\n", rej)
		}
		if r.Rejected > 3 {
			fmt.Fprintf(e.stdout, "    … %d rows rejected in all: hitreflect rejects --config … --file %s\n", r.Rejected, r.Path)
		}
	}
}

func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (e *env) stageDisplay() func(source, path, step string) {
	if !isTerminal(e.stderr) {
		return nil
	}
	return func(source, path, step string) {
		if e.bar == nil {
			e.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(e.stderr),
				progressbar.OptionSpinnerType(14), progressbar.OptionSetElapsedTime(true),
				progressbar.OptionClearOnFinish())
			// Keep the spinner turning while DuckDB works through a long step.
			stop := make(chan struct{})
			e.stopTicker = func() { close(stop) }
			go func(bar *progressbar.ProgressBar) {
				t := time.NewTicker(150 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						_ = bar.Add(1)
					}
				}
			}(e.bar)
		}
		e.bar.Describe(fmt.Sprintf("%s %s: %s", source, filepath.Base(path), step))
	}
}

func (e *env) clearProgress() {
	if e.bar != nil {
		e.stopTicker()
		_ = e.bar.Finish()
		e.bar = nil
	}
}

func fileLine(source, path string, r *ingest.Result) string {
	name := filepath.Base(path)
	switch r.Status {
	case ingest.StatusSeen:
		return fmt.Sprintf("%-22s %-40s %s", source, name, r.Message)
	case ingest.StatusRejected:
		return fmt.Sprintf("%-22s %-40s REJECTED, nothing loaded: %s", source, name, r.Message)
	case ingest.StatusFailed:
		return fmt.Sprintf("%-22s %-40s FAILED, nothing loaded: %s", source, name, r.Message)
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("loaded %s of %s rows (%s new, %s changed, %s unchanged)",
		num(r.Loaded), num(r.Read), num(r.New), num(r.Changed), num(r.Unchanged)))
	if r.Rejected > 0 {
		parts = append(parts, num(r.Rejected)+" rejected")
	}
	if r.Duplicate > 0 {
		parts = append(parts, num(r.Duplicate)+" duplicate")
	}
	if r.Skipped > 0 {
		parts = append(parts, num(r.Skipped)+" skipped ("+reasons(r.SkipReasons)+")")
	}
	if r.Removed > 0 {
		parts = append(parts, plural(int(r.Removed), "earlier session")+" removed (snapshot)")
	}
	return fmt.Sprintf("%-22s %-40s %s [%s]", source, name, strings.Join(parts, "; "), r.Elapsed.Round(10*time.Millisecond))
}

func reasons(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s: %s", k, num(m[k])))
	}
	return strings.Join(out, ", ")
}

// num writes 1234567 as 1,234,567.
func num(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// printWarnings prints warnings after a summary; it says whether there were any.
func (e *env) printWarnings(ws []pipeline.Warning) bool {
	for _, w := range ws {
		fmt.Fprintf(e.stdout, "Warning: %s\n", w)
	}
	return len(ws) > 0
}

// summarise prints the totals and decides the exit code.
func (e *env) summarise(results []pipeline.SourceResult) error {
	var files, loadedFiles, seen, rejectedFiles, failedSources int
	var rows, rejected int64
	failed := false
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(e.stderr, "%-22s FAILED: %v\n", r.Source, r.Err)
			failedSources++
		}
		if r.Failed() {
			failed = true
		}
		for _, f := range r.Files {
			files++
			switch f.Status {
			case ingest.StatusSeen:
				seen++
			case ingest.StatusRejected, ingest.StatusFailed:
				rejectedFiles++
			default:
				loadedFiles++
				rows += f.Loaded
				rejected += f.Rejected
			}
		}
	}
	switch {
	case failedSources > 0 && loadedFiles == 0:
		fmt.Fprintf(e.stdout, "%d of %d sources failed (see above); nothing loaded.\n", failedSources, len(results))
	case files == 0:
		fmt.Fprintln(e.stdout, "No files found.")
	case loadedFiles == 0 && rejectedFiles == 0:
		fmt.Fprintf(e.stdout, "Nothing new: all %d files were loaded before.\n", seen)
	default:
		fmt.Fprintf(e.stdout, "Done: %s loaded (%s, %s rejected), %d already loaded, %d rejected whole or failed.\n",
			plural(loadedFiles, "file"), plural(int(rows), "row"), num(rejected), seen, rejectedFiles)
		if failedSources > 0 {
			fmt.Fprintf(e.stdout, "%d of %d sources failed (see above).\n", failedSources, len(results))
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

// knownSource checks a --source name against the config.
func knownSource(s *pipeline.Setup, name string) error {
	if _, ok := s.Config.Source(name); name != "" && !ok {
		return usageErr("no source %q in the config (sources: %s)", name, strings.Join(s.Config.SourceNames(), ", "))
	}
	return nil
}
