package job

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// inputsKey names everything the metrics, the export and the packets are
// computed from: the warehouse's loaded files, the config, this version of
// hitreflect, whether a pseudonym key is set and, for year-to-date packets,
// today's date. Two runs with the same key write the same outputs, so the
// second keeps the first's.
func inputsKey(ctx context.Context, s *pipeline.Setup, w *warehouse.Warehouse, version string, now time.Time) (string, error) {
	var files, maxID, rows sql.NullInt64
	if err := w.DB.QueryRowContext(ctx, `SELECT count(*), max(file_id), sum(rows_loaded + rows_removed) FROM files WHERE status = 'loaded'`).
		Scan(&files, &maxID, &rows); err != nil {
		return "", fmt.Errorf("what the warehouse holds: %w", err)
	}
	day := ""
	if s.Config.Reports.Period == "ytd" {
		day = now.Format("2006-01-02")
	}
	keySet := os.Getenv(s.Config.Privacy.PseudonymKeyEnv) != ""
	h := sha256.Sum256(fmt.Appendf(nil, "files %d %d %d\nconfig %s\nversion %s\nexport %t\nday %s\n",
		files.Int64, maxID.Int64, rows.Int64, s.ConfigSHA256, version, keySet, day))
	return fmt.Sprintf("%x", h[:16]), nil
}

// lastGoodRun is the newest run that finished ok, or nil.
func lastGoodRun(ctx context.Context, w *warehouse.Warehouse) (*RunSummary, error) {
	var data string
	err := w.DB.QueryRowContext(ctx, `SELECT summary FROM runs WHERE status = 'ok' ORDER BY run_id DESC LIMIT 1`).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the last run: %w", err)
	}
	var sum RunSummary
	if err := json.Unmarshal([]byte(data), &sum); err != nil {
		return nil, fmt.Errorf("the last run's summary: %w", err)
	}
	return &sum, nil
}

// reusable says whether the last good run's outputs stand for this run:
// same inputs, and every output it wrote still there.
func reusable(last *RunSummary, key string) bool {
	if last == nil || last.InputsKey == "" || last.InputsKey != key {
		return false
	}
	for _, st := range []StageSummary{last.Metrics, last.Export, last.Reports} {
		if st.Done && st.Output != "" {
			if _, err := os.Stat(st.Output); err != nil {
				return false
			}
		}
	}
	return true
}

// kept is a stage that reused the last run's output.
func kept(st StageSummary, last *RunSummary) StageSummary {
	when := last.Started.Local().Format("2006-01-02 15:04")
	if !st.Done {
		st.Note = fmt.Sprintf("nothing new since the run of %s, which did not write this either: %s", when, st.Note)
		st.Seconds = 0
		return st
	}
	return StageSummary{Done: true, Output: st.Output, Kept: true,
		Note: fmt.Sprintf("nothing new since the run of %s: its output stands", when)}
}
