package cli

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
)

// FileStatus is one row of 'hitreflect status --json'; the field names are stable.
type FileStatus = pipeline.FileStatus

func (e *env) statusCmd() *cobra.Command {
	var cfgPath string
	var wait time.Duration
	var asJSON bool
	var limit int
	c := &cobra.Command{
		Use:   "status --config FILE [--json]",
		Short: "Recent files with their row counts and state",
		Long: `Lists the newest files with their row counts and state.

While an ingest or run holds the warehouse, status answers from the snapshot
the ingest publishes beside the warehouse as files commit (at most a second
old), and says so on standard error; --wait waits for the warehouse instead.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, warnings, err := e.recentFiles(cfgPath, wait, limit)
			if err != nil {
				return err
			}
			if asJSON {
				// The records stay plain; the warnings go to standard error.
				for _, w := range warnings {
					fmt.Fprintf(e.stderr, "Warning: %s\n", w)
				}
			} else {
				defer e.printWarnings(warnings)
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if list == nil {
					list = []FileStatus{}
				}
				return enc.Encode(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stdout, "No files loaded yet: run hitreflect ingest.")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "file\tloaded at\tsource\tstatus\tread\tloaded\trejected\tduplicate\tskipped\tname")
			for _, f := range list {
				fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.FileID, f.StartedAt.Local().Format("2006-01-02 15:04"),
					f.Source, f.Status, num(f.Read), num(f.Loaded), num(f.Rejected), num(f.Duplicate), num(f.Skipped), filepath.Base(f.Path))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, f := range list {
				if f.Status == "rejected" {
					fmt.Fprintf(e.stdout, "#%d was rejected: %s\n", f.FileID, f.Message)
				}
			}
			fmt.Fprintln(e.stdout, "Full paths and times: hitreflect status --json")
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON for other programs")
	c.Flags().IntVar(&limit, "limit", 50, "how many recent files")
	addWait(c, &wait)
	return c
}

// recentFiles reads the newest files from the warehouse or, while another
// process loads into it and the user did not ask to wait, from the snapshot
// that process publishes.
func (e *env) recentFiles(cfgPath string, wait time.Duration, limit int) ([]FileStatus, []pipeline.Warning, error) {
	s, w, err := e.open(cfgPath, wait)
	if errors.Is(err, pipeline.ErrLocked) && wait == 0 {
		snap, serr := pipeline.ReadStatusSnapshot(s.Config.WarehousePath())
		if serr != nil {
			return nil, nil, err // no snapshot: the holder is not an ingest, or predates them
		}
		what := "between files"
		if snap.Loading != "" {
			what = "now loading " + filepath.Base(snap.Loading)
		}
		files := snap.Files[:min(limit, len(snap.Files))]
		more := ""
		if limit > len(files) && len(files) == pipeline.SnapshotFiles {
			more = fmt.Sprintf("; the snapshot holds the newest %d", pipeline.SnapshotFiles)
		}
		// The holder may be a load, or a report or export after one: the
		// snapshot is what the last load had committed when it was taken.
		fmt.Fprintf(e.stderr, "Another hitreflect process holds the warehouse (%s): these are the files loads had committed at %s (%s%s); add --wait 30m to wait for it instead.\n",
			pipeline.LockHolder(s.Config.WarehousePath()), snap.WrittenAt.Local().Format("15:04:05"), what, more)
		return files, s.RejectWarningsOf(files), nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer w.Close()
	files, err := pipeline.RecentFiles(e.ctx, w.DB, limit)
	if err != nil {
		return nil, nil, err
	}
	warnings, err := s.StatusWarnings(e.ctx, w.DB, files, time.Now())
	return files, warnings, err
}

func (e *env) rejectsCmd() *cobra.Command {
	var cfgPath, file, outPath string
	var wait time.Duration
	c := &cobra.Command{
		Use:   "rejects --config FILE [--file PATH] [--out FILE.csv]",
		Short: "Rejected rows as CSV (file, line, column, value, reason)",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, w, err := e.open(cfgPath, wait)
			if err != nil {
				return err
			}
			defer w.Close()
			rows, err := w.DB.QueryContext(e.ctx, `SELECT f.source, f.path, r.line, r.record, coalesce(r.column_name, ''),
				coalesce(r.field, ''), coalesce(r.value, ''), r.reason
				FROM rejects r JOIN files f USING (file_id)
				WHERE ? = '' OR f.path = ? OR f.path LIKE '%/' || ?
				ORDER BY f.file_id, r.line`, file, file, file)
			if err != nil {
				return fmt.Errorf("read rejects: %w", err)
			}
			defer rows.Close()
			// Values come from the vendors' files: neutralised, so none runs
			// as a formula when the CSV is opened in a spreadsheet.
			write := func(out *excelsafe.CSV) error {
				_ = out.Write([]string{"source", "file", "line", "record", "column", "field", "value", "reason"})
				for rows.Next() {
					var src, path, col, field, value, reason string
					var line, record sql.NullInt64
					if err := rows.Scan(&src, &path, &line, &record, &col, &field, &value, &reason); err != nil {
						return err
					}
					_ = out.Write([]string{src, path, fmt.Sprint(line.Int64), fmt.Sprint(record.Int64), col, field, value, reason})
				}
				if err := rows.Err(); err != nil {
					return err
				}
				return out.Flush()
			}
			if outPath != "" {
				return excelsafe.WriteFile(outPath, write)
			}
			return write(excelsafe.NewCSV(e.stdout))
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().StringVar(&file, "file", "", "only this file (its path, or its name)")
	c.Flags().StringVar(&outPath, "out", "", "write a CSV file for Excel (with a byte-order mark) instead of printing")
	addWait(c, &wait)
	return c
}
