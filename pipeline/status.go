package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hitreflect/hitreflect/pipeline/private"
)

// FileStatus is one file the warehouse has seen, as 'hitreflect status'
// shows it; the JSON field names are stable.
type FileStatus struct {
	FileID     int64     `json:"file_id"`
	Source     string    `json:"source"`
	Path       string    `json:"path"`
	Status     string    `json:"status"`
	Message    string    `json:"message,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
	Read       int64     `json:"rows_read"`
	Loaded     int64     `json:"rows_loaded"`
	Rejected   int64     `json:"rows_rejected"`
	Duplicate  int64     `json:"rows_duplicate"`
	Skipped    int64     `json:"rows_skipped"`
	Removed    int64     `json:"rows_removed"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Querier is a connection or a database.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// RecentFiles lists the newest files first, at most limit.
func RecentFiles(ctx context.Context, q Querier, limit int) ([]FileStatus, error) {
	rows, err := q.QueryContext(ctx, `SELECT file_id, source, path, status, coalesce(message, ''),
		rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_skipped, rows_removed, started_at, coalesce(finished_at, started_at),
		coalesce(notes, '[]')
		FROM files ORDER BY file_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read files: %w", err)
	}
	defer rows.Close()
	var list []FileStatus
	for rows.Next() {
		var f FileStatus
		var notes string
		if err := rows.Scan(&f.FileID, &f.Source, &f.Path, &f.Status, &f.Message, &f.Read, &f.Loaded,
			&f.Rejected, &f.Duplicate, &f.Skipped, &f.Removed, &f.StartedAt, &f.FinishedAt, &notes); err != nil {
			return nil, fmt.Errorf("read files: %w", err)
		}
		_ = json.Unmarshal([]byte(notes), &f.Notes)
		list = append(list, f)
	}
	return list, rows.Err()
}

// StatusSnapshot is what an ingest publishes beside the warehouse each time
// a file commits, so that 'hitreflect status' can answer while the ingest
// holds the warehouse (DuckDB lets one process open the file at a time).
type StatusSnapshot struct {
	// WrittenAt is when the snapshot was taken: every file committed
	// before it is in Files.
	WrittenAt time.Time `json:"written_at"`
	// Loading is the file being loaded when the snapshot was taken, if any.
	Loading string       `json:"loading,omitempty"`
	Files   []FileStatus `json:"files"`
}

// SnapshotFiles is how many of the newest files a snapshot holds: status
// shows 50 by default.
const SnapshotFiles = 500

// StatusSnapshotPath is where the snapshot of the warehouse at path lives.
func StatusSnapshotPath(warehousePath string) string { return warehousePath + ".status.json" }

// ReadStatusSnapshot reads the last snapshot published for the warehouse;
// os.ErrNotExist when none was.
func ReadStatusSnapshot(warehousePath string) (*StatusSnapshot, error) {
	b, err := os.ReadFile(StatusSnapshotPath(warehousePath))
	if err != nil {
		return nil, err
	}
	var s StatusSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", StatusSnapshotPath(warehousePath), err)
	}
	return &s, nil
}

// publishStatus writes the snapshot: whole (written beside and renamed, so
// a reader never sees half of one) and readable by the owner only, like
// the warehouse it describes.
func publishStatus(ctx context.Context, q Querier, warehousePath, loading string) error {
	files, err := RecentFiles(ctx, q, SnapshotFiles)
	if err != nil {
		return err
	}
	b, err := json.Marshal(StatusSnapshot{WrittenAt: time.Now().UTC(), Loading: loading, Files: files})
	if err != nil {
		return err
	}
	return private.WriteFile(StatusSnapshotPath(warehousePath), b)
}
