// Package warehouse opens the DuckDB file that holds the canonical tables and
// keeps its schema current with embedded, numbered migrations.
package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/hitreflect/hitreflect/pipeline/private"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Warehouse is an open DuckDB warehouse.
type Warehouse struct {
	DB   *sql.DB
	Path string
}

// Options tune an open warehouse.
type Options struct {
	// MemoryLimit caps DuckDB's memory ("4GB", "512MB"); beyond it, large
	// work spills to a folder beside the warehouse. Empty: DefaultMemoryLimit.
	MemoryLimit string
}

// Open opens (creating if needed) the warehouse at path and applies pending
// migrations. The folder is created readable by its owner only and the file
// is made so, since it holds student records. An empty path opens an
// in-memory warehouse (dry runs, tests).
func Open(ctx context.Context, path string) (*Warehouse, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create warehouse folder: %w", err)
		}
		if err := private.Dir(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("restrict warehouse folder: %w", err)
		}
	}
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, openError(path, err)
	}
	db := sql.OpenDB(connector)
	w := &Warehouse{DB: db, Path: path}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		if strings.Contains(err.Error(), "Could not set lock") {
			// DuckDB lets one process write a database file at a time.
			return nil, fmt.Errorf("the warehouse %s is open in another program (a hitreflect load, or an analyst's DuckDB session): try again when it is done", path)
		}
		return nil, openError(path, err)
	}
	if err := w.restrict(); err != nil {
		db.Close()
		return nil, err
	}
	if opt.MemoryLimit == "" {
		opt.MemoryLimit = DefaultMemoryLimit()
	}
	if opt.MemoryLimit != "" {
		// A setting takes no parameter; the config checked the value's form.
		if _, err := db.ExecContext(ctx, "SET memory_limit = '"+strings.ReplaceAll(opt.MemoryLimit, "'", "")+"'"); err != nil {
			db.Close()
			return nil, fmt.Errorf("open warehouse %s: memory_limit %q: %w", path, opt.MemoryLimit, err)
		}
	}
	if err := w.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// defaultMemoryCap is the most DuckDB gets by default: at 300,000 students
// the Go side (impact's matching and regressions) and DuckDB's memory
// outside its buffer manager add most of a GiB to it, and the whole
// process must stay under 2 GiB (docs/performance.md: every metric 28 s
// and 1.8 GiB at this cap, 25 s and 3.2 GiB at 1.5 GiB).
const defaultMemoryCap = 1 << 30

// DefaultMemoryLimit is a quarter of the machine's memory, at most 1 GiB,
// so a district's whole night fits the 4-8 GiB virtual machine an IT
// department hands out, beside DuckDB's overheads and the Go side's own.
// DuckDB's own default, 80% of the machine, lets one query take a shared
// server. Empty where the machine's memory is not known (DuckDB decides).
func DefaultMemoryLimit() string {
	total := machineMemory()
	if total <= 0 {
		return ""
	}
	limit := min(total/4, defaultMemoryCap)
	return fmt.Sprintf("%dMiB", limit>>20)
}

// restrict makes the warehouse file and its write-ahead log owner-only.
func (w *Warehouse) restrict() error {
	if w.Path == "" {
		return nil
	}
	for _, p := range []string{w.Path, w.Path + ".wal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict %s: %w", p, err)
		}
	}
	return nil
}

// Close checkpoints and closes the warehouse.
func (w *Warehouse) Close() error {
	if w.Path != "" {
		_, _ = w.DB.Exec("CHECKPOINT")
	}
	if err := w.DB.Close(); err != nil {
		return err
	}
	return w.restrict()
}

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNN_description.sql", e.Name())
		}
		text, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(text)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SchemaVersion is the newest migration the warehouse has.
func (w *Warehouse) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := w.DB.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

func (w *Warehouse) migrate(ctx context.Context) error {
	if _, err := w.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)`); err != nil {
		return fmt.Errorf("migrate warehouse: %w", err)
	}
	current, err := w.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate warehouse: %w", err)
	}
	all, err := Migrations()
	if err != nil {
		return fmt.Errorf("migrate warehouse: %w", err)
	}
	if n := len(all); n > 0 && current > all[n-1].Version {
		return fmt.Errorf("warehouse %s has schema version %d, newer than this hitreflect knows (%d): upgrade hitreflect", w.Path, current, all[n-1].Version)
	}
	for _, m := range all {
		if m.Version <= current {
			continue
		}
		if err := w.apply(ctx, m); err != nil {
			return fmt.Errorf("migrate warehouse to version %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func (w *Warehouse) apply(ctx context.Context, m Migration) error {
	tx, err := w.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
		return err
	}
	return tx.Commit()
}

// openError says why the warehouse would not open, in words a person can
// act on where DuckDB's would leave them guessing.
func openError(path string, err error) error {
	if strings.Contains(err.Error(), "not a valid DuckDB database file") {
		return fmt.Errorf("the warehouse %s is not a DuckDB database file, so it was left as it is: "+
			"point warehouse: in the config at another path (a new warehouse is made there), or move the file aside (%w)", path, err)
	}
	return fmt.Errorf("open warehouse %s: %w", path, err)
}
