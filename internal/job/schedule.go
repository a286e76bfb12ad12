package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/private"
)

// Scheduler runs the job on the config's schedules until stopped.
type Scheduler struct {
	setup   *pipeline.Setup
	log     *slog.Logger
	version string
	// stopping asks running jobs to end after the file in hand.
	stopping atomic.Bool
	cron     *cron.Cron
	jobCtx   context.Context // cancelled on a second signal
	stopCtx  context.Context // cancelled on the first: ends waits for the lock
	mu       sync.Mutex
	status   ScheduleStatus
}

// ScheduleStatus is written to <output>/schedule-status.json after every
// job, for a person (or a monitoring check) to see when it last ran and
// when it runs next.
type ScheduleStatus struct {
	PID     int         `json:"pid"`
	Started time.Time   `json:"started"`
	Stopped time.Time   `json:"stopped,omitzero"` // set when the scheduler has stopped: no next run will come
	Jobs    []JobStatus `json:"jobs"`
}

// JobStatus is one scheduled job.
type JobStatus struct {
	Name       string    `json:"name"`
	Schedule   string    `json:"schedule"`
	LastStart  time.Time `json:"last_start,omitzero"`
	LastFinish time.Time `json:"last_finish,omitzero"`
	LastStatus string    `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	Next       time.Time `json:"next,omitzero"`
	entry      cron.EntryID
}

// NewScheduler prepares the schedules: the whole job on the config's
// schedule, and each source with its own schedule fetched and loaded on it.
func NewScheduler(s *pipeline.Setup, log *slog.Logger, version string) (*Scheduler, error) {
	sc := &Scheduler{setup: s, log: log, version: version}
	opts := []cron.Option{cron.WithLogger(cronLogger{log}), cron.WithChain(cron.Recover(cronLogger{log}), cron.SkipIfStillRunning(cronLogger{log}))}
	if s.Config.Location != nil {
		opts = append(opts, cron.WithLocation(s.Config.Location)) // the district's time, not the server's
	}
	sc.cron = cron.New(opts...)
	sc.status = ScheduleStatus{PID: os.Getpid(), Started: time.Now()}
	add := func(name, spec string, job func(ctx context.Context) error) error {
		i := len(sc.status.Jobs)
		sc.status.Jobs = append(sc.status.Jobs, JobStatus{Name: name, Schedule: spec})
		id, err := sc.cron.AddFunc(spec, func() { sc.runJob(i, job) })
		if err != nil {
			return fmt.Errorf("schedule %s %q: %w", name, spec, err)
		}
		sc.status.Jobs[i].entry = id
		return nil
	}
	if err := add("whole job", s.Config.Schedule, sc.wholeJob); err != nil {
		return nil, err
	}
	for _, src := range s.Config.Sources {
		if src.Schedule == "" {
			continue
		}
		name := src.Name
		if err := add("source "+name, src.Schedule, func(ctx context.Context) error { return sc.sourceJob(ctx, name) }); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// Run starts the schedules and blocks until ctx is done (a signal); then it
// lets running jobs finish the file in hand, and returns. hard is closed on
// a second signal: running jobs are stopped at once (their open file rolls
// back, and the next run loads it).
func (sc *Scheduler) Run(ctx context.Context, hard <-chan struct{}) error {
	jobCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopCtx, stopWaits := context.WithCancel(context.Background())
	defer stopWaits()
	sc.jobCtx, sc.stopCtx = jobCtx, stopCtx
	sc.cron.Start()
	sc.writeStatus()
	sc.log.Info("schedule started", "jobs", len(sc.status.Jobs), "status_file", sc.statusPath())
	<-ctx.Done()
	sc.log.Info("stopping: finishing the file or step in hand")
	sc.stopping.Store(true)
	stopWaits()            // a job still waiting for the lock gives up
	done := sc.cron.Stop() // no new jobs; done when running ones return
	select {
	case <-done.Done():
	case <-hard:
		sc.log.Warn("stopping now: the file in hand is rolled back and loads next time")
		cancel()
		<-done.Done()
	}
	sc.mu.Lock()
	sc.status.Stopped = time.Now()
	sc.mu.Unlock()
	sc.writeStatus()
	sc.log.Info("schedule stopped")
	return nil
}

func (sc *Scheduler) runJob(i int, job func(ctx context.Context) error) {
	if sc.stopping.Load() {
		return
	}
	sc.mu.Lock()
	sc.status.Jobs[i].LastStart = time.Now()
	name := sc.status.Jobs[i].Name
	sc.mu.Unlock()
	sc.writeStatus()
	sc.log.Info("job started", "job", name)
	err := job(sc.jobCtx)
	sc.mu.Lock()
	j := &sc.status.Jobs[i]
	j.LastFinish, j.LastStatus, j.LastError = time.Now(), "ok", ""
	if err != nil {
		j.LastStatus, j.LastError = "failed", err.Error()
		if errors.Is(err, pipeline.ErrStopped) {
			j.LastStatus = "stopped"
		}
	}
	sc.mu.Unlock()
	sc.writeStatus()
	if err != nil {
		sc.log.Error("job ended", "job", name, "error", err)
		return
	}
	sc.log.Info("job ended", "job", name, "status", "ok")
}

// lockWait is how long a job waits for another hitreflect process (a
// person's ingest, say) to finish with the warehouse.
const lockWait = 2 * time.Hour

// wholeJob is hitreflect run.
func (sc *Scheduler) wholeJob(ctx context.Context) error {
	w, done, err := sc.setup.OpenLocked(sc.stopCtx, lockWait, sc.waiting)
	if err != nil {
		return err
	}
	defer done()
	sum, err := Run(ctx, sc.setup, w, RunOptions{Ingest: pipeline.IngestOptions{Stop: sc.stopping.Load}, Log: sc.log, Version: sc.version})
	if err != nil {
		return err
	}
	if sum.Status != "ok" {
		return errors.New("the run failed: see its summary in " + filepath.Join(sc.setup.Config.OutputDir(), "runs"))
	}
	return nil
}

// sourceJob fetches and loads one source.
func (sc *Scheduler) sourceJob(ctx context.Context, source string) error {
	w, done, err := sc.setup.OpenLocked(sc.stopCtx, lockWait, sc.waiting)
	if err != nil {
		return err
	}
	defer done()
	results, err := sc.setup.Ingest(ctx, w, pipeline.IngestOptions{Source: source, Stop: sc.stopping.Load})
	for _, r := range results {
		ss := summariseSource(r)
		sc.log.Info("source", "source", ss.Source, "files", ss.Files, "loaded", ss.FilesNew, "rows_loaded", ss.RowsLoaded, "rows_rejected", ss.RowsRejected)
		if r.Failed() && err == nil {
			err = fmt.Errorf("source %s failed: %v", source, ss.Errors)
		}
	}
	return err
}

func (sc *Scheduler) waiting(holder string) {
	sc.log.Info("waiting for the warehouse", "held_by", holder)
}

func (sc *Scheduler) statusPath() string {
	return filepath.Join(sc.setup.Config.OutputDir(), "schedule-status.json")
}

func (sc *Scheduler) writeStatus() {
	sc.mu.Lock()
	for i := range sc.status.Jobs {
		sc.status.Jobs[i].Next = sc.cron.Entry(sc.status.Jobs[i].entry).Next
		if !sc.status.Stopped.IsZero() {
			sc.status.Jobs[i].Next = time.Time{}
		}
	}
	data, err := json.MarshalIndent(sc.status, "", "  ")
	sc.mu.Unlock()
	if err != nil {
		return
	}
	_ = os.MkdirAll(filepath.Dir(sc.statusPath()), 0o700)
	_ = private.WriteFile(sc.statusPath(), append(data, '\n'))
}

// cronLogger lets cron log through slog.
type cronLogger struct{ log *slog.Logger }

// Info: cron's "skip" (a run still going when its next time came) is worth
// seeing; its other chatter is not.
func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Info("skipped a scheduled time: the previous run is still going", kv...)
		return
	}
	l.log.Debug("cron: "+msg, kv...)
}
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err)...)
}
