// Package job runs the whole job: once (Run) or on its schedules
// (Scheduler), fetching and loading every source, then the metrics, the
// research export and the reflection packets.
package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/export"
	"github.com/hitreflect/hitreflect/pipeline/ingest"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
	"github.com/hitreflect/hitreflect/reports/packet"
)

// RunSummary is what one run of the whole job did; it is logged, written to
// <output>/runs/<time>.json and kept in the runs table.
type RunSummary struct {
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Status   string          `json:"status"` // ok | failed
	Sources  []SourceSummary `json:"sources"`
	Metrics  StageSummary    `json:"metrics"`
	Export   StageSummary    `json:"export"`
	Reports  StageSummary    `json:"reports"`
	// InputsKey names what the outputs were computed from (see inputsKey).
	InputsKey string `json:"inputs_key,omitempty"`
	// IngestSeconds is the wall time of fetching and loading every source.
	IngestSeconds float64 `json:"ingest_seconds"`
	// Warnings are what a person should look at although nothing failed
	// (a run with warnings is still a good run: Status stays ok).
	Warnings []pipeline.Warning `json:"warnings,omitempty"`
}

// SourceSummary is one source's part of a run.
type SourceSummary struct {
	Source       string   `json:"source"`
	Files        int      `json:"files"`
	FilesNew     int      `json:"files_loaded"`
	FilesSeen    int      `json:"files_already_loaded"`
	FilesFailed  int      `json:"files_rejected_or_failed"`
	RowsRead     int64    `json:"rows_read"`
	RowsLoaded   int64    `json:"rows_loaded"`
	RowsRejected int64    `json:"rows_rejected"`
	Errors       []string `json:"errors,omitempty"`
}

// StageSummary is a later stage's part of a run.
type StageSummary struct {
	Done   bool   `json:"done"`
	Output string `json:"output,omitempty"`
	Note   string `json:"note,omitempty"`
	Error  string `json:"error,omitempty"`
	// OlderRemoved counts the earlier runs' outputs deleted after this one
	// was written, beyond the config's keep.
	OlderRemoved int `json:"older_removed,omitempty"`
	// Kept is set when nothing changed since the last run, whose output
	// (Output) stands for this one.
	Kept bool `json:"kept,omitempty"`
	// Seconds is the stage's wall time (the metrics' includes setting
	// them up); where the night's time goes.
	Seconds float64 `json:"seconds"`
}

// RunOptions observe a run.
type RunOptions struct {
	Ingest  pipeline.IngestOptions
	Log     *slog.Logger
	Now     func() time.Time
	Version string
	// Force recomputes the metrics, export and packets even when nothing
	// changed since the last run.
	Force bool
}

// Run does the whole job once: every source fetched and loaded, then the
// metrics (CSV per family), the research export where a pseudonym key is
// set, and the reflection packets the config asks for. A failing source does not stop the others; the run fails if any did.
func Run(ctx context.Context, s *pipeline.Setup, w *warehouse.Warehouse, opt RunOptions) (*RunSummary, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sum := &RunSummary{Started: opt.Now(), Status: "ok"}
	began := time.Now()
	results, err := s.Ingest(ctx, w, opt.Ingest)
	sum.IngestSeconds = since(began)
	for _, r := range results {
		ss := summariseSource(r)
		sum.Sources = append(sum.Sources, ss)
		if r.Failed() {
			sum.Status = "failed"
		}
		log.Info("source", "source", ss.Source, "files", ss.Files, "loaded", ss.FilesNew, "already_loaded", ss.FilesSeen,
			"rejected_or_failed", ss.FilesFailed, "rows_loaded", ss.RowsLoaded, "rows_rejected", ss.RowsRejected)
		for _, e := range ss.Errors {
			log.Error("source failed", "source", ss.Source, "error", e)
		}
	}
	if err == nil {
		sum.Warnings = s.RejectWarnings(results)
		stale, serr := s.StaleSources(ctx, w.DB, opt.Now())
		if serr != nil {
			return sum, serr
		}
		sum.Warnings = append(sum.Warnings, stale...)
		for _, wn := range sum.Warnings {
			log.Warn("warning", "source", wn.Source, "file", wn.File, "warning", wn.Message)
		}
	}
	if err != nil { // stopped (a signal) or the warehouse itself failed
		sum.Status = "failed"
		if errors.Is(err, pipeline.ErrStopped) || errors.Is(err, context.Canceled) {
			sum.Status = "stopped"
		}
		notRun := "not run: the run " + sum.Status
		sum.Metrics.Note, sum.Export.Note, sum.Reports.Note = notRun, notRun, notRun
		sum.Finished = opt.Now()
		// Recorded all the same, so the morning shows the night's run;
		// the warehouse write uses a fresh context, the run's may be over.
		if rerr := recordRun(context.Background(), s, w, sum); rerr != nil {
			log.Error("record run", "error", rerr)
		}
		return sum, err
	}
	key, err := inputsKey(ctx, s, w, opt.Version, sum.Started)
	if err != nil {
		return sum, err
	}
	sum.InputsKey = key
	if last, err := lastGoodRun(ctx, w); err != nil {
		log.Error("last run", "error", err)
	} else if !opt.Force && sum.Status == "ok" && reusable(last, key) {
		sum.Metrics, sum.Export, sum.Reports = kept(last.Metrics, last), kept(last.Export, last), kept(last.Reports, last)
		for _, st := range []struct {
			name string
			st   StageSummary
		}{{"metrics", sum.Metrics}, {"research export", sum.Export}, {"reflection packets", sum.Reports}} {
			logStage(log, st.name, st.st)
		}
		sum.Finished = opt.Now()
		if err := recordRun(ctx, s, w, sum); err != nil {
			return sum, err
		}
		if _, err := prune(filepath.Join(s.Config.OutputDir(), "runs"), s.Config.Keep.Runs); err != nil {
			log.Error("older run summaries", "error", err)
		}
		log.Info("run finished", "status", sum.Status, "nothing_new", true, "took", sum.Finished.Sub(sum.Started).Round(time.Millisecond).String())
		return sum, nil
	}
	stamp := sum.Started.Format("20060102-150405")
	metricsDir, exportsDir := filepath.Join(s.Config.OutputDir(), "metrics"), filepath.Join(s.Config.OutputDir(), "exports")
	// One connection and one metrics Runner for the metrics and the
	// packets: the packets reuse the tables the metrics stage computed.
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		return sum, fmt.Errorf("connect to warehouse: %w", err)
	}
	defer conn.Close()
	began = time.Now()
	runner, err := metrics.New(ctx, conn, s.Config, opt.Now)
	if err != nil {
		runner = nil // the metrics and packets stages report it
	}
	sum.Metrics = runMetrics(ctx, runner, err, filepath.Join(metricsDir, stamp))
	keepNewest(&sum.Metrics, metricsDir, s.Config.Keep.Metrics)
	sum.Metrics.Seconds = since(began)
	logStage(log, "metrics", sum.Metrics)
	began = time.Now()
	sum.Export = runExport(ctx, s, conn, runner != nil, filepath.Join(exportsDir, stamp), opt)
	keepNewest(&sum.Export, exportsDir, s.Config.Keep.Exports)
	sum.Export.Seconds = since(began)
	logStage(log, "research export", sum.Export)
	began = time.Now()
	sum.Reports = runReports(ctx, s, conn, runner, opt.Now)
	sum.Reports.Seconds = since(began)
	logStage(log, "reflection packets", sum.Reports)
	if sum.Metrics.Error != "" || sum.Export.Error != "" || sum.Reports.Error != "" {
		sum.Status = "failed"
	}
	sum.Finished = opt.Now()
	if err := recordRun(ctx, s, w, sum); err != nil {
		return sum, err
	}
	// The runs table keeps every summary; the folder keeps the newest.
	if n, err := prune(filepath.Join(s.Config.OutputDir(), "runs"), s.Config.Keep.Runs); err != nil {
		log.Error("older run summaries", "error", err)
	} else if n > 0 {
		log.Info("older run summaries removed", "removed", n, "keep", s.Config.Keep.Runs)
	}
	log.Info("run finished", "status", sum.Status, "took", sum.Finished.Sub(sum.Started).Round(time.Millisecond).String())
	return sum, nil
}

func summariseSource(r pipeline.SourceResult) SourceSummary {
	ss := SourceSummary{Source: r.Source, Files: len(r.Files)}
	if r.Err != nil {
		ss.Errors = append(ss.Errors, r.Err.Error())
	}
	for _, f := range r.Files {
		switch f.Status {
		case ingest.StatusSeen:
			ss.FilesSeen++
		case ingest.StatusRejected, ingest.StatusFailed:
			ss.FilesFailed++
			ss.Errors = append(ss.Errors, filepath.Base(f.Path)+": "+f.Message)
		default:
			ss.FilesNew++
			ss.RowsRead += f.Read
			ss.RowsLoaded += f.Loaded
			ss.RowsRejected += f.Rejected
		}
	}
	return ss
}

// runMetrics writes every metric family, by school and provider, as CSV.
func runMetrics(ctx context.Context, r *metrics.Runner, setupErr error, dir string) StageSummary {
	fail := func(err error) StageSummary { return StageSummary{Error: err.Error()} }
	if setupErr != nil {
		return fail(setupErr)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	var tables []*metrics.Table
	for _, f := range metrics.Families {
		t, err := r.Run(ctx, f.Name, metrics.Options{By: []string{"school", "provider"}})
		if err != nil {
			return fail(fmt.Errorf("%s: %w", f.Name, err))
		}
		tables = append(tables, t)
	}
	// The files go out together: none may give away another's withheld cells.
	metrics.ProtectAcross(tables)
	for _, t := range tables {
		if err := metrics.SaveCSV(filepath.Join(dir, t.Family+".csv"), t); err != nil {
			return fail(err)
		}
	}
	return StageSummary{Done: true, Output: dir}
}

// logStage logs what a stage did; a failed stage at ERROR, so a log
// watcher that looks for errors sees it.
func logStage(log *slog.Logger, name string, st StageSummary) {
	level := slog.LevelInfo
	if st.Error != "" {
		level = slog.LevelError
	}
	log.Log(context.Background(), level, name, "output", st.Output, "older_removed", st.OlderRemoved, "note", st.Note, "error", st.Error,
		"seconds", st.Seconds)
}

// since is the wall time from start, in seconds to the millisecond.
func since(start time.Time) float64 {
	return time.Since(start).Round(time.Millisecond).Seconds()
}

// runReports rewrites the reflection packets the config's reports: asks
// for, in <output>/<period>/<audience>/, so the morning has fresh ones.
func runReports(ctx context.Context, s *pipeline.Setup, c *sql.Conn, r *metrics.Runner, now func() time.Time) StageSummary {
	rc := s.Config.Reports
	if rc.Audience == "none" {
		return StageSummary{Note: "skipped: reports: audience is none in the config"}
	}
	if r == nil {
		return StageSummary{Error: "not run: the metrics could not be set up"}
	}
	res, err := packet.Build(ctx, c, s.Config, packet.Options{Period: rc.Period, Audience: rc.Audience, OutDir: s.Config.OutputDir(), Now: now, PNG: rc.PNG, Metrics: r})
	if err != nil {
		// Packets fail one by one (errors.Join): one line for the log.
		return StageSummary{Error: strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	what := "packets"
	if len(res.Packets) == 1 {
		what = "packet"
	}
	return StageSummary{Done: true, Output: filepath.Join(s.Config.OutputDir(), rc.Period),
		Note: fmt.Sprintf("%d %s (%s)", len(res.Packets), what, rc.Audience)}
}

// keepNewest deletes the older outputs of a stage that has just written a
// new one, keeping the config's number. Nothing is deleted after a stage
// that failed or did not run: the last good output stays. Not being able to
// delete is noted, and does not fail the run.
func keepNewest(st *StageSummary, dir string, keep int) {
	if !st.Done {
		return
	}
	n, err := prune(dir, keep)
	st.OlderRemoved = n
	if err != nil {
		st.Note = "could not remove older outputs: " + err.Error()
	}
}

// runExport writes the research export when the pseudonym key is set (a
// district that does not share data simply leaves the key unset), on the
// run's connection, which holds the metrics set-up when setUp says so.
func runExport(ctx context.Context, s *pipeline.Setup, c *sql.Conn, setUp bool, dir string, opt RunOptions) StageSummary {
	if os.Getenv(s.Config.Privacy.PseudonymKeyEnv) == "" {
		return StageSummary{Note: "skipped: no pseudonym key in " + s.Config.Privacy.PseudonymKeyEnv}
	}
	p, err := export.KeyFromEnv(s.Config.Privacy.PseudonymKeyEnv)
	if err != nil {
		return StageSummary{Error: err.Error()}
	}
	if _, err := export.Run(ctx, c, s.Config, p, export.Options{OutDir: dir, Version: opt.Version, Now: opt.Now, MetricsSetUp: setUp}); err != nil {
		return StageSummary{Error: err.Error()}
	}
	return StageSummary{Done: true, Output: dir}
}

// recordRun writes the summary to <output>/runs/ and to the runs table.
func recordRun(ctx context.Context, s *pipeline.Setup, w *warehouse.Warehouse, sum *RunSummary) error {
	data, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Join(s.Config.OutputDir(), "runs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write run summary: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, sum.Started.Format("20060102-150405")+".json"), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write run summary: %w", err)
	}
	_, err = w.DB.ExecContext(ctx, `INSERT INTO runs VALUES (nextval('run_ids'), ?, ?, ?, ?)`, sum.Started, sum.Finished, sum.Status, string(data))
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}
