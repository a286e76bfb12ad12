package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hitreflect/hitreflect/pipeline/ingest"
)

// Warning is something a person should look at although nothing failed: a
// file with more rejected rows than the config's alerts.reject_share, a
// source that has sent no new file for longer than its expect_every.
type Warning struct {
	Source  string `json:"source"`
	File    string `json:"file,omitempty"`
	Message string `json:"message"`
}

func (w Warning) String() string {
	if w.File != "" {
		return fmt.Sprintf("%s: %s: %s", w.Source, filepath.Base(w.File), w.Message)
	}
	return w.Source + ": " + w.Message
}

// RejectWarnings are the files of a load whose share of rejected rows is
// above the config's alerts.reject_share.
func (s *Setup) RejectWarnings(results []SourceResult) []Warning {
	var out []Warning
	for _, r := range results {
		for _, f := range r.Files {
			if w, ok := s.rejectWarning(r.Source, f.Path, f.Status, f.Read, f.Rejected); ok {
				out = append(out, w)
			}
		}
	}
	return out
}

func (s *Setup) rejectWarning(source, path, status string, read, rejected int64) (Warning, bool) {
	share := s.Config.Alerts.RejectShare
	if status != ingest.StatusLoaded || read == 0 || float64(rejected) <= share*float64(read) {
		return Warning{}, false
	}
	return Warning{Source: source, File: path, Message: fmt.Sprintf(
		"%.1f%% of its rows were rejected (%d of %d), above the %.1f%% of alerts.reject_share: see hitreflect rejects",
		100*float64(rejected)/float64(read), rejected, read, 100*share)}, true
}

// RowQuerier is a connection or a database, asked for one row.
type RowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// StaleSources are the sources with an expect_every that have sent no new
// file for longer than that: none loaded since now - expect_every.
func (s *Setup) StaleSources(ctx context.Context, q RowQuerier, now time.Time) ([]Warning, error) {
	var out []Warning
	for _, src := range s.Config.Sources {
		if src.Expect <= 0 {
			continue
		}
		var last sql.NullTime
		if err := q.QueryRowContext(ctx, `SELECT max(started_at) FROM files WHERE source = ? AND status = 'loaded'`, src.Name).Scan(&last); err != nil {
			return nil, fmt.Errorf("when did %s last send a file: %w", src.Name, err)
		}
		switch {
		case !last.Valid:
			out = append(out, Warning{Source: src.Name, Message: fmt.Sprintf("no file has loaded yet (expect_every %s)", src.ExpectEvery)})
		case now.Sub(last.Time) > src.Expect:
			out = append(out, Warning{Source: src.Name, Message: fmt.Sprintf("no new file since %s, %s ago (expect_every %s): ask the sender",
				last.Time.Local().Format("2006-01-02 15:04"), roughly(now.Sub(last.Time)), src.ExpectEvery)})
		}
	}
	return out, nil
}

// StatusWarnings are the warnings status shows: the listed files over the
// reject share, and the stale sources.
func (s *Setup) StatusWarnings(ctx context.Context, q RowQuerier, files []FileStatus, now time.Time) ([]Warning, error) {
	stale, err := s.StaleSources(ctx, q, now)
	return append(s.RejectWarningsOf(files), stale...), err
}

// RejectWarningsOf are the listed files over the reject share.
func (s *Setup) RejectWarningsOf(files []FileStatus) []Warning {
	var out []Warning
	for _, f := range files {
		if w, ok := s.rejectWarning(f.Source, f.Path, f.Status, f.Read, f.Rejected); ok {
			out = append(out, w)
		}
	}
	return out
}

// roughly writes a duration as a person says it: 3 days, 5 hours, 40 minutes.
func roughly(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d seconds", int(d.Seconds()))
}
