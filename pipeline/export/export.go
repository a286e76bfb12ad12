package export

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/pipeline/private"
	"github.com/hitreflect/hitreflect/queries"
)

// UsageError is an export asked for in a way it cannot be done (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Options choose what to export and where.
type Options struct {
	OutDir  string   // the export folder; must not exist, or be empty
	Year    string   // one school year (YYYY-YY), or all
	Tables  []string // table names; all when empty
	Version string   // hitreflect's version, for the manifest
	Now     func() time.Time
	// MetricsSetUp says the connection already holds the metrics set-up
	// (the nightly run shares the metrics stage's): not built again.
	MetricsSetUp bool
}

// Manifest describes an export; it is written as manifest.json.
type Manifest struct {
	CreatedAt      time.Time      `json:"created_at"`
	Version        string         `json:"hitreflect_version"`
	KeyFingerprint string         `json:"pseudonym_key_fingerprint"`
	District       string         `json:"district"`
	SchoolYear     string         `json:"school_year,omitempty"`
	Tables         []string       `json:"tables"`
	Files          []ManifestFile `json:"files"`
}

// ManifestFile is one Parquet file of the export.
type ManifestFile struct {
	Path       string `json:"path"`
	Table      string `json:"table"`
	SchoolYear string `json:"school_year"`
	Rows       int64  `json:"rows"`
	Bytes      int64  `json:"bytes"`
	SHA256     string `json:"sha256"`
}

// Run writes the export. It works in a hidden folder beside OutDir and
// renames it into place only when complete, so an interrupted export leaves
// no half export behind.
func Run(ctx context.Context, c *sql.Conn, cfg *config.Config, p *Pseudonymizer, opt Options) (*Manifest, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	tables, err := choose(opt.Tables)
	if err != nil {
		return nil, err
	}
	if err := checkTarget(opt.OutDir); err != nil {
		return nil, err
	}
	parent := filepath.Dir(filepath.Clean(opt.OutDir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	// A run killed hard (no chance to clean up) leaves its working folder of
	// record-level data: the next export of the same folder removes it.
	stale, _ := filepath.Glob(filepath.Join(parent, "."+filepath.Base(opt.OutDir)+".partial-*"))
	for _, d := range stale {
		os.RemoveAll(d)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(opt.OutDir)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("create the export's working folder: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	// Owner-only before the first file lands (on Windows an access list
	// that the files inherit; it moves with the folder into place).
	if err := private.Dir(tmp); err != nil {
		return nil, err
	}
	defer dropKeys(c)

	// The metrics set-up gives student_year its dosage and scores.
	if !opt.MetricsSetUp {
		if _, err := metrics.New(ctx, c, cfg, opt.Now); err != nil {
			return nil, err
		}
	}
	if err := buildKeys(ctx, c, p); err != nil {
		return nil, err
	}
	qs, err := queries.Load()
	if err != nil {
		return nil, err
	}
	schoolYear := cfg.SchoolYear
	if opt.Year != "" {
		schoolYear = opt.Year
	}
	m := &Manifest{CreatedAt: opt.Now().UTC(), Version: opt.Version, KeyFingerprint: p.Fingerprint(),
		District: cfg.District, SchoolYear: opt.Year}
	m.Files = []ManifestFile{}
	for _, t := range tables {
		if t.Name == "students" || t.Name == "student_year" {
			if opt.Year != "" && opt.Year != cfg.SchoolYear {
				continue // known for the config's school year only
			}
		}
		m.Tables = append(m.Tables, t.Name)
		if err := copyTable(ctx, c, qs[t.Query], filepath.Join(tmp, t.Name), cfg, opt.Year, schoolYear); err != nil {
			return nil, fmt.Errorf("export %s: %w", t.Name, err)
		}
	}
	if err := describeFiles(ctx, c, tmp, m); err != nil {
		return nil, err
	}
	if err := writeDocs(tmp, tables, m); err != nil {
		return nil, err
	}
	if err := restrict(tmp); err != nil {
		return nil, err
	}
	if err := os.Remove(opt.OutDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("replace the empty folder %s: %w", opt.OutDir, err)
	}
	if err := os.Rename(tmp, opt.OutDir); err != nil {
		return nil, fmt.Errorf("move the export into place: %w", err)
	}
	done = true
	return m, nil
}

func choose(names []string) ([]Table, error) {
	if len(names) == 0 {
		return Tables, nil
	}
	var out []Table
	for _, n := range names {
		t, ok := TableByName(n)
		if !ok {
			var all []string
			for _, t := range Tables {
				all = append(all, t.Name)
			}
			return nil, &UsageError{fmt.Sprintf("no export table %q (tables: %s)", n, strings.Join(all, ", "))}
		}
		out = append(out, t)
	}
	return out, nil
}

// checkTarget refuses to write over anything.
func checkTarget(dir string) error {
	if dir == "" {
		return &UsageError{"the export needs a folder to write to (--out DIR)"}
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look at %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return &UsageError{fmt.Sprintf("%s is not empty: an export is written to a new or empty folder, never over another", dir)}
	}
	return nil
}

// buildKeys writes the pseudonyms of every student and tutor id into
// temporary tables; the mapping never reaches the warehouse or the export.
func buildKeys(ctx context.Context, c *sql.Conn, p *Pseudonymizer) error {
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE student_keys (student_id VARCHAR, student_key VARCHAR)`,
		`CREATE OR REPLACE TEMP TABLE tutor_keys (provider VARCHAR, tutor_id VARCHAR, tutor_key VARCHAR)`,
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	students, err := column(ctx, c, `SELECT student_id FROM sessions UNION SELECT student_id FROM assessments UNION SELECT student_id FROM students`, 1)
	if err != nil {
		return fmt.Errorf("list student ids: %w", err)
	}
	tutors, err := column(ctx, c, `SELECT DISTINCT provider, tutor_id FROM sessions WHERE tutor_id IS NOT NULL`, 2)
	if err != nil {
		return fmt.Errorf("list tutor ids: %w", err)
	}
	return c.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return errors.New("not a DuckDB connection")
		}
		a, err := duckdb.NewAppenderFromConn(conn, "", "student_keys")
		if err != nil {
			return err
		}
		for _, s := range students {
			if err := a.AppendRow(s[0], p.ID(StudentID, s[0])); err != nil {
				a.Close()
				return err
			}
		}
		if err := a.Close(); err != nil {
			return err
		}
		a, err = duckdb.NewAppenderFromConn(conn, "", "tutor_keys")
		if err != nil {
			return err
		}
		for _, t := range tutors {
			// Tutor ids are the provider's own: T1 of one provider is not T1 of another.
			if err := a.AppendRow(t[0], t[1], p.ID(TutorID, t[0]+"\x00"+t[1])); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
}

func dropKeys(c *sql.Conn) {
	for _, t := range []string{"student_keys", "tutor_keys"} {
		_, _ = c.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp."+t)
	}
}

func column(ctx context.Context, c *sql.Conn, q string, width int) ([][]string, error) {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		v := make([]string, width)
		p := make([]any, width)
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// copyTable writes one table as ZSTD Parquet partitioned by school_year
// (hive style: a folder school_year=YYYY-YY per year).
func copyTable(ctx context.Context, c *sql.Conn, query, dir string, cfg *config.Config, year, schoolYear string) error {
	cal := cfg.Calendar
	from, to := cal.Start.Time, cal.End.Time
	if from.IsZero() {
		from = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if to.IsZero() {
		to = time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	values := map[string]any{"school_year": schoolYear, "from": from, "to": to}
	if year != "" {
		values["year"] = year
	} else {
		values["year"] = nil
	}
	var args []any
	for _, p := range queries.Params(query) {
		v, ok := values[p]
		if !ok {
			return fmt.Errorf("the query uses $%s, which the export does not provide", p)
		}
		args = append(args, sql.Named(p, v))
	}
	// The same data must give the same bytes, so researchers can compare
	// checksums. COPY's PARTITION_BY writes in parallel, in no set order,
	// so: the rows are gathered once (in parallel), then each school year
	// is sorted by every column (rows alike in every column are
	// interchangeable) into a table of its own, in parallel, which keeps
	// that order (preserve_insertion_order, DuckDB's default), and written
	// from it by one thread: several cut row groups at places that vary
	// from run to run. Sorting inside the single-threaded COPY gives the
	// same bytes (TestExportIsReproducible), a third slower at 300,000
	// students.
	const rows, sorted = "export_rows", "export_sorted"
	if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+rows+" AS "+
		strings.TrimRight(strings.TrimSpace(stripComments(query)), ";"), args...); err != nil {
		return err
	}
	defer c.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+rows)
	defer c.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+sorted)
	years, err := distinctYears(ctx, c, rows)
	if err != nil {
		return err
	}
	var threads string
	if err := c.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return err
	}
	var order bool
	if err := c.QueryRowContext(ctx, "SELECT CAST(current_setting('preserve_insertion_order') AS BOOLEAN)").Scan(&order); err != nil {
		return err
	}
	if !order {
		return errors.New("the export needs DuckDB's preserve_insertion_order (it is off on this connection)")
	}
	defer c.ExecContext(context.WithoutCancel(ctx), "SET threads = "+threads)
	for _, y := range years {
		if _, err := c.ExecContext(ctx, "SET threads = "+threads); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+sorted+" AS SELECT * EXCLUDE (school_year) FROM "+rows+
			" WHERE school_year IS NOT DISTINCT FROM ? ORDER BY ALL", y); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, "SET threads = 1"); err != nil {
			return err
		}
		name := "NULL" // as hive partitioning names a missing value
		if y.Valid {
			name = y.String
		}
		part := filepath.Join(dir, "school_year="+name)
		if err := os.MkdirAll(part, 0o700); err != nil {
			return err
		}
		// DuckDB takes a COPY target only as a literal, so the path is quoted here.
		copyTo := fmt.Sprintf(`COPY (SELECT * FROM %s) TO %s (FORMAT PARQUET, COMPRESSION ZSTD)`,
			sorted, sqlString(filepath.Join(part, "data_0.parquet")))
		if _, err := c.ExecContext(ctx, copyTo); err != nil {
			return err
		}
	}
	return nil
}

// distinctYears lists the school years a gathered table holds.
func distinctYears(ctx context.Context, c *sql.Conn, table string) ([]sql.NullString, error) {
	rs, err := c.QueryContext(ctx, "SELECT DISTINCT school_year FROM "+table+" ORDER BY ALL")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var years []sql.NullString
	for rs.Next() {
		var y sql.NullString
		if err := rs.Scan(&y); err != nil {
			return nil, err
		}
		years = append(years, y)
	}
	return years, rs.Err()
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func stripComments(q string) string {
	var lines []string
	for _, l := range strings.Split(q, "\n") {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// describeFiles lists every Parquet file with its rows and SHA-256.
func describeFiles(ctx context.Context, c *sql.Conn, root string, m *Manifest) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		f := ManifestFile{Path: filepath.ToSlash(rel), Table: strings.Split(filepath.ToSlash(rel), "/")[0]}
		for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
			if y, ok := strings.CutPrefix(part, "school_year="); ok {
				f.SchoolYear = y
			}
		}
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM read_parquet(?)`, path).Scan(&f.Rows); err != nil {
			return fmt.Errorf("count rows of %s: %w", rel, err)
		}
		sum, n, err := hashFile(path)
		if err != nil {
			return err
		}
		f.SHA256, f.Bytes = sum, n
		m.Files = append(m.Files, f)
		return nil
	})
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return err
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func writeDocs(dir string, tables []Table, m *Manifest) error {
	md, err := os.Create(filepath.Join(dir, "codebook.md"))
	if err != nil {
		return err
	}
	defer md.Close()
	if err := WriteCodebookMarkdown(md, tables, m.KeyFingerprint); err != nil {
		return err
	}
	cb, err := os.Create(filepath.Join(dir, "codebook.csv"))
	if err != nil {
		return err
	}
	defer cb.Close()
	if err := WriteCodebookCSV(cb, tables); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(data, '\n'), 0o600)
}

// restrict makes the export readable by its owner only: it is record-level
// data, to be handed over under a data-sharing agreement, not left readable.
func restrict(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o600)
		if d.IsDir() {
			mode = 0o700
		}
		return os.Chmod(path, mode)
	})
}
