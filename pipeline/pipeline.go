// Package pipeline runs hitreflect's stages: fetch files through the
// connectors, load them into the DuckDB warehouse (pipeline/ingest), and
// later compute metrics and render reports.
package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/connectors"
	"github.com/hitreflect/hitreflect/pipeline/ingest"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// Setup is a validated config with its profiles and connectors built: every
// check a typo can fail happens here, before anything runs.
type Setup struct {
	Config     *config.Config
	Profiles   *profile.Set
	Connectors map[string]connectors.Connector // by source name
	// ConfigSHA256 is the config file's hash: a run whose inputs and config
	// are the same as the last one's has nothing new to compute.
	ConfigSHA256 string
}

// Prepare reads the config at path and builds what it describes.
func Prepare(path string, reg *connectors.Registry) (*Setup, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	lc, err := config.ParseLocated(path, data)
	var errs config.Errors
	if lc == nil {
		return nil, err
	}
	if err != nil {
		errs = append(errs, err.(config.Errors)...)
	}
	set, err := profile.ForConfig(lc)
	var perrs config.Errors
	if errors.As(err, &perrs) {
		errs = append(errs, perrs...)
	} else if err != nil {
		return nil, err
	}
	s := &Setup{Config: lc.Config, Profiles: set, Connectors: map[string]connectors.Connector{},
		ConfigSHA256: fmt.Sprintf("%x", sha256.Sum256(data))}
	for i, src := range lc.Sources {
		if src.Connector == nil {
			continue
		}
		c, err := reg.New(src.Connector, filepath.Dir(path))
		var se *connectors.SettingError
		switch {
		case errors.As(err, &se):
			errs = append(errs, lc.Errorf(fmt.Sprintf("sources[%d].connector.%s", i, se.Key), "%s", se.Msg))
		case err != nil:
			errs = append(errs, lc.Errorf(fmt.Sprintf("sources[%d].connector", i), "%v", err))
		default:
			s.Connectors[src.Name] = c
		}
		if src.LoadMode == "snapshot" && src.Kind != "sessions" {
			errs = append(errs, lc.Errorf(fmt.Sprintf("sources[%d].load_mode", i), "snapshot mode is for a provider's session files; use upsert or append for %s", src.Kind))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// OpenLocked takes the warehouse's lock (waiting up to wait for another
// hitreflect process) and opens it, for work that loads into it; done
// closes the warehouse and gives the lock up.
func (s *Setup) OpenLocked(ctx context.Context, wait time.Duration, waiting func(holder string)) (w *warehouse.Warehouse, done func(), err error) {
	lock, err := AcquireLock(ctx, s.Config.WarehousePath(), wait, waiting)
	if err != nil {
		return nil, nil, err
	}
	w, err = s.OpenWarehouse(ctx)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return w, func() { w.Close(); lock.Release() }, nil
}

// OpenWarehouse opens the config's warehouse.
func (s *Setup) OpenWarehouse(ctx context.Context) (*warehouse.Warehouse, error) {
	return warehouse.OpenWith(ctx, s.Config.WarehousePath(), warehouse.Options{MemoryLimit: s.Config.MemoryLimit})
}

// IngestOptions narrow and observe an ingest.
type IngestOptions struct {
	Source string   // only this source
	Paths  []string // these files instead of fetching (needs Source)
	DryRun bool
	// OnFile is told when a file starts (result nil) and when it ends.
	OnFile func(source, path string, res *ingest.Result)
	// OnStage is told each step within a file.
	OnStage func(source, path, step string)
	// Stop, when it returns true, ends the ingest between two files: a
	// graceful stop finishes the file in hand and loads no more.
	Stop func() bool
}

// SourceResult is what one source's files came to.
type SourceResult struct {
	Source string
	Files  []*ingest.Result
	Err    error // the source could not be fetched, or a load failed
}

// Failed says whether the source needs a person's attention.
func (r SourceResult) Failed() bool {
	if r.Err != nil {
		return true
	}
	for _, f := range r.Files {
		if f.Status == ingest.StatusRejected || f.Status == ingest.StatusFailed {
			return true
		}
	}
	return false
}

// ErrStopped is returned when an ingest ended early because Stop asked it to.
var ErrStopped = errors.New("stopped before all files were loaded; the next run loads the rest")

// Ingest fetches and loads every source (or one), each file in its own
// transaction. One source failing does not stop the others.
func (s *Setup) Ingest(ctx context.Context, w *warehouse.Warehouse, opt IngestOptions) ([]SourceResult, error) {
	if len(opt.Paths) > 0 && opt.Source == "" {
		return nil, errors.New("naming files needs --source, to know how to read them")
	}
	if opt.Source != "" {
		if _, ok := s.Config.Source(opt.Source); !ok {
			return nil, fmt.Errorf("no source %q in the config (sources: %v)", opt.Source, s.Config.SourceNames())
		}
	}
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to warehouse: %w", err)
	}
	defer conn.Close()
	if !opt.DryRun {
		if err := syncConfigTables(ctx, conn, s.Config); err != nil {
			return nil, err
		}
	}
	tempDir, err := os.MkdirTemp("", "hitreflect-staging-")
	if err != nil {
		return nil, fmt.Errorf("create staging folder: %w", err)
	}
	defer os.RemoveAll(tempDir)
	// While this ingest holds the warehouse, status reads what it publishes
	// as files start and commit: at most once a second (a night of a
	// thousand small files need not pay a query each), and once at the end.
	// Publishing is a courtesy to readers: a failure never fails a load.
	var published time.Time
	publish := func(loading string, now bool) {
		if opt.DryRun || !now && time.Since(published) < time.Second {
			return
		}
		published = time.Now()
		_ = publishStatus(context.WithoutCancel(ctx), conn, s.Config.WarehousePath(), loading)
	}
	publish("", true)
	defer publish("", true)

	var results []SourceResult
	for _, src := range loadOrder(s.Config.Sources) {
		if opt.Source != "" && src.Name != opt.Source {
			continue
		}
		if err := ctx.Err(); err != nil {
			return results, err
		}
		res := SourceResult{Source: src.Name}
		paths := opt.Paths
		fetcher := s.Connectors[src.Name]
		if len(paths) == 0 {
			// Each source downloads into a folder of its own.
			staging := filepath.Join(tempDir, "sources", src.Name)
			if err := os.MkdirAll(staging, 0o700); err != nil {
				return results, fmt.Errorf("create staging folder: %w", err)
			}
			if err := recall(ctx, conn, src.Name, fetcher); err != nil {
				res.Err = fmt.Errorf("fetch %s: %w", src.Name, err)
				results = append(results, res)
				continue
			}
			paths, err = fetcher.Fetch(ctx, staging)
			if err != nil {
				res.Err = fmt.Errorf("fetch %s: %w", src.Name, err)
				results = append(results, res)
				continue
			}
		}
		prof, _ := s.Profiles.Get(src.Profile)
		// Files the connector would not hand over (a link out of the
		// landing folder, a file over max_bytes): rejected whole, unread.
		if rf, ok := fetcher.(connectors.Refuser); ok && len(opt.Paths) == 0 {
			for _, refused := range rf.Refused() {
				r := &ingest.Result{Path: refused.Path, Status: ingest.StatusRejected, Message: refused.Reason}
				res.Files = append(res.Files, r)
				if opt.OnFile != nil {
					opt.OnFile(src.Name, refused.Path, nil)
					opt.OnFile(src.Name, refused.Path, r)
				}
			}
		}
		for _, p := range paths {
			if opt.Stop != nil && opt.Stop() {
				results = append(results, res)
				return results, ErrStopped
			}
			if abs, err := filepath.Abs(p); err == nil {
				p = abs // the files table keeps where the file was, wherever hitreflect ran
			}
			if opt.OnFile != nil {
				opt.OnFile(src.Name, p, nil)
			}
			publish(p, false)
			onStage := func(step string) {
				if opt.OnStage != nil {
					opt.OnStage(src.Name, p, step)
				}
			}
			var origin string // a downloaded file is recorded by where it came from
			if o, ok := fetcher.(connectors.Originer); ok && len(opt.Paths) == 0 {
				origin = o.Origin(p)
			}
			r, err := ingest.Load(ctx, conn, ingest.Request{Config: s.Config, Source: src, Profile: prof, Path: p,
				Origin: origin, TempDir: tempDir, DryRun: opt.DryRun, Stage: onStage})
			if ctx.Err() != nil {
				res.Err = ctx.Err()
				results = append(results, res)
				return results, ctx.Err()
			}
			if err != nil {
				// A file that cannot be loaded (unreadable, a broken link) is
				// reported; the source's other files still load.
				r = &ingest.Result{Path: cmp.Or(origin, p), Status: ingest.StatusFailed, Message: err.Error()}
			}
			res.Files = append(res.Files, r)
			if err != nil && environmentFault(err, filepath.Dir(s.Config.WarehousePath()), tempDir) {
				// A full disk or a folder that cannot be written fails every
				// file after this one too: stop, and say what to fix.
				if opt.OnFile != nil {
					opt.OnFile(src.Name, p, r)
				}
				results = append(results, res)
				return results, &StoppedError{Warehouse: s.Config.WarehousePath(), Err: err}
			}
			// A file in the warehouse (now or before) may leave the source:
			// an SFTP folder moves it to its archive, HTTPS remembers it.
			if a, ok := fetcher.(connectors.Archiver); ok && !opt.DryRun && len(opt.Paths) == 0 &&
				(r.Status == ingest.StatusLoaded || r.Status == ingest.StatusSeen) {
				if err := a.Archive(ctx, p); err != nil {
					r.Notes = append(r.Notes, "loaded, but not archived at the source: "+err.Error())
					res.Err = errors.Join(res.Err, fmt.Errorf("archive %s: %w", filepath.Base(p), err))
				}
			}
			publish("", false)
			if opt.OnFile != nil {
				opt.OnFile(src.Name, p, r)
			}
		}
		results = append(results, res)
		publish("", true) // before the next source's fetch, which may take a while
	}
	return results, nil
}

// recall tells a connector that skips what it remembers loading which
// content this warehouse holds for the source (see connectors.Rememberer).
func recall(ctx context.Context, conn *sql.Conn, source string, fetcher connectors.Connector) error {
	r, ok := fetcher.(connectors.Rememberer)
	if !ok {
		return nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT content_hash FROM files WHERE source = ? AND status = 'loaded'`, source)
	if err != nil {
		return fmt.Errorf("files loaded before: %w", err)
	}
	defer rows.Close()
	loaded := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return fmt.Errorf("files loaded before: %w", err)
		}
		loaded[h] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("files loaded before: %w", err)
	}
	return r.Recall(func(h string) bool { return loaded[h] })
}

// syncConfigTables keeps the providers table equal to the config's list,
// and gives the config's schools their names (files may name schools too;
// the config's name wins).
func syncConfigTables(ctx context.Context, c *sql.Conn, cfg *config.Config) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update providers: %w", err)
	}
	defer tx.Rollback()
	for _, sc := range cfg.Schools {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schools SELECT ?, NULL WHERE ? NOT IN (SELECT school_id FROM schools)`, sc.ID, sc.ID); err != nil {
			return fmt.Errorf("update schools: %w", err)
		}
		if sc.Name == "" {
			continue // a school listed without a name keeps the name files gave it
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schools SET name = ? WHERE school_id = ? AND name IS DISTINCT FROM ?`, sc.Name, sc.ID, sc.Name); err != nil {
			return fmt.Errorf("update schools: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM providers`); err != nil {
		return fmt.Errorf("update providers: %w", err)
	}
	for _, p := range cfg.Providers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO providers VALUES (?, ?, ?, ?, ?)`,
			p.ID, p.Name, zeroNull(p.Cost.PerStudent), zeroNull(p.Cost.PerHour), zeroNull(p.Cost.Total)); err != nil {
			return fmt.Errorf("update providers: %w", err)
		}
	}
	return tx.Commit()
}

func zeroNull(f float64) any {
	if f == 0 {
		return nil
	}
	return f
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// loadOrder puts rosters first, then assessments, then sessions (keeping the
// config's order within each kind): a student's roster record should be in
// place before their tests and sessions name them.
func loadOrder(sources []config.Source) []config.Source {
	rank := map[string]int{"roster": 0, "assessments": 1, "sessions": 2}
	out := append([]config.Source(nil), sources...)
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Kind] < rank[out[j].Kind] })
	return out
}

// StoppedError is an ingest stopped by its surroundings rather than a file:
// the disk holding the warehouse (or the staging folder) is full, or a
// folder it writes cannot be written.
type StoppedError struct {
	Warehouse string
	Err       error
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("loading stopped: the disk is full or a folder cannot be written (warehouse %s): %v. "+
		"The file it was loading was not loaded, the files loaded before it are kept, and the rest load on the next run once this is fixed", e.Warehouse, e.Err)
}

func (e *StoppedError) Unwrap() error { return e.Err }

// environmentFault says whether a load failed on the machine rather than
// the file: no room, a read-only file system, or the warehouse's or the
// staging folder (dirs) refusing to be written. (A landing file that may
// not be read is the file's failure; the other files still load.) DuckDB
// reports these as text, so the text is read too.
func environmentFault(err error, dirs ...string) bool {
	msg := strings.ToLower(err.Error())
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(msg, "no space left on device") || strings.Contains(msg, "read-only file system") || strings.Contains(msg, "disk quota exceeded") {
		return true
	}
	if !errors.Is(err, fs.ErrPermission) && !strings.Contains(msg, "permission denied") {
		return false
	}
	// Absolute paths only: a relative "data" would also match a landing
	// file's path. (DuckDB names the files it could not write absolutely.)
	for _, d := range dirs {
		if abs, e := filepath.Abs(d); e == nil && strings.Contains(err.Error(), abs+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
