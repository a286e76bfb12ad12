package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// district loads a small synthetic district and returns its warehouse.
func district(t *testing.T) (*pipeline.Setup, *warehouse.Warehouse) {
	t.Helper()
	d := testdistrict.Load(t, 400, 5)
	return d.Setup, d.Warehouse
}

func runExport(t *testing.T, s *pipeline.Setup, w *warehouse.Warehouse, key, out string) *Manifest {
	t.Helper()
	p, err := New([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, err := Run(t.Context(), c, s.Config, p, Options{OutDir: out, Version: "test", Now: func() time.Time { return time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// arrowType is the Arrow type DuckDB's Parquet writer gives each codebook type.
var arrowType = map[string]arrow.Type{
	"VARCHAR": arrow.STRING, "DATE": arrow.DATE32, "TIME": arrow.TIME64, "DOUBLE": arrow.FLOAT64,
	"INTEGER": arrow.INT32, "BOOLEAN": arrow.BOOL,
}

// readParquet reads a file with arrow/go's Parquet reader, independently of DuckDB.
func readParquet(t *testing.T, path string) arrow.Table {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{BatchSize: 4096}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tbl.Release)
	return tbl
}

func TestExportReadsBackWithArrow(t *testing.T) {
	t.Parallel()
	s, w := district(t)
	out := filepath.Join(t.TempDir(), "export")
	m := runExport(t, s, w, "a district secret of some length", out)

	// Every id the warehouse holds, and the pure-digit ones as numbers.
	rawIDs := map[string]bool{}
	rawNumbers := map[int64]bool{}
	for _, q := range []string{`SELECT student_id FROM sessions UNION SELECT student_id FROM assessments UNION SELECT student_id FROM students`,
		`SELECT DISTINCT tutor_id FROM sessions WHERE tutor_id IS NOT NULL`, `SELECT DISTINCT session_id FROM sessions WHERE session_id IS NOT NULL`} {
		rows, err := w.DB.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			rawIDs[id] = true
			// Ids of 4 digits or more, read as numbers (a grade of 3 is not an id).
			if n, err := strconv.ParseInt(id, 10, 64); err == nil && len(strings.TrimLeft(id, "0")) >= 4 {
				rawNumbers[n] = true
			}
		}
		rows.Close()
	}
	if len(rawIDs) < 400 {
		t.Fatalf("only %d raw ids to look for", len(rawIDs))
	}
	warehouseRows := map[string]int64{}
	for table, q := range map[string]string{"sessions": `SELECT count(*) FROM sessions`, "assessments": `SELECT count(*) FROM assessments`, "students": `SELECT count(*) FROM students`} {
		var n int64
		w.DB.QueryRow(q).Scan(&n)
		warehouseRows[table] = n
	}
	if len(m.Files) != 4 {
		t.Fatalf("manifest lists %d files, want 4: %+v", len(m.Files), m.Files)
	}
	var onDisk map[string]any
	data, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil || json.Unmarshal(data, &onDisk) != nil || onDisk["pseudonym_key_fingerprint"] != m.KeyFingerprint {
		t.Fatalf("manifest.json: %v %s", err, data)
	}
	for _, f := range m.Files {
		path := filepath.Join(out, filepath.FromSlash(f.Path))
		sum, _ := os.ReadFile(path)
		if h := sha256.Sum256(sum); hex.EncodeToString(h[:]) != f.SHA256 || int64(len(sum)) != f.Bytes {
			t.Errorf("%s: SHA-256 or size differs from the manifest", f.Path)
		}
		tbl := readParquet(t, path)
		if tbl.NumRows() != f.Rows {
			t.Errorf("%s: %d rows, manifest says %d", f.Path, tbl.NumRows(), f.Rows)
		}
		if want, ok := warehouseRows[f.Table]; ok && f.Rows != want {
			t.Errorf("%s: %d rows, the warehouse has %d", f.Path, f.Rows, want)
		}
		// The schema is the codebook's, less school_year, which is the partition.
		def, _ := TableByName(f.Table)
		var fields []Field
		for _, fd := range def.Fields {
			if fd.Name != "school_year" {
				fields = append(fields, fd)
			}
		}
		schema := tbl.Schema()
		if schema.NumFields() != len(fields) {
			t.Errorf("%s: %d columns, the codebook has %d", f.Path, schema.NumFields(), len(fields))
			continue
		}
		for i, fd := range fields {
			got := schema.Field(i)
			if got.Name != fd.Name || got.Type.ID() != arrowType[fd.Type] {
				t.Errorf("%s: column %d is %s %s, the codebook says %s %s", f.Path, i, got.Name, got.Type, fd.Name, fd.Type)
			}
		}
		// No raw id anywhere.
		for i := 0; i < int(tbl.NumCols()); i++ {
			for _, chunk := range tbl.Column(i).Data().Chunks() {
				switch a := chunk.(type) {
				case *array.String:
					for j := 0; j < a.Len(); j++ {
						if a.IsValid(j) && rawIDs[a.Value(j)] {
							t.Fatalf("%s: column %s holds the raw id %q", f.Path, schema.Field(i).Name, a.Value(j))
						}
					}
				case *array.Int32:
					for j := 0; j < a.Len(); j++ {
						if a.IsValid(j) && rawNumbers[int64(a.Value(j))] {
							t.Fatalf("%s: column %s holds the raw id %d", f.Path, schema.Field(i).Name, a.Value(j))
						}
					}
				}
			}
		}
	}
	for _, doc := range []string{"codebook.md", "codebook.csv"} {
		if info, err := os.Stat(filepath.Join(out, doc)); err != nil || info.Size() == 0 || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v", doc, err)
		}
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("export folder mode: %v", err)
	}
}

// keysOf reads the students file's pseudonyms.
func keysOf(t *testing.T, out string) map[string]bool {
	tbl := readParquet(t, filepath.Join(out, "students", "school_year=2025-26", "data_0.parquet"))
	keys := map[string]bool{}
	for _, chunk := range tbl.Column(0).Data().Chunks() {
		a := chunk.(*array.String)
		for j := 0; j < a.Len(); j++ {
			keys[a.Value(j)] = true
		}
	}
	return keys
}

func TestSameKeySamePseudonyms(t *testing.T) {
	t.Parallel()
	s, w := district(t)
	dir := t.TempDir()
	a := runExport(t, s, w, "the district's long secret key", filepath.Join(dir, "a"))
	b := runExport(t, s, w, "the district's long secret key", filepath.Join(dir, "b"))
	c := runExport(t, s, w, "another district's secret key!", filepath.Join(dir, "c"))
	ka, kb, kc := keysOf(t, filepath.Join(dir, "a")), keysOf(t, filepath.Join(dir, "b")), keysOf(t, filepath.Join(dir, "c"))
	if len(ka) < 400 || len(ka) != len(kb) {
		t.Fatalf("%d and %d pseudonyms", len(ka), len(kb))
	}
	for k := range ka {
		if !kb[k] {
			t.Fatalf("the same key gave a different pseudonym set")
		}
		if kc[k] {
			t.Fatalf("a different key gave the pseudonym %s too", k)
		}
	}
	if a.KeyFingerprint != b.KeyFingerprint || a.KeyFingerprint == c.KeyFingerprint {
		t.Errorf("fingerprints %s %s %s", a.KeyFingerprint, b.KeyFingerprint, c.KeyFingerprint)
	}
}

func TestNoKeyNoExport(t *testing.T) {
	t.Setenv("HITREFLECT_TEST_KEY", "")
	if _, err := KeyFromEnv("HITREFLECT_TEST_KEY"); err == nil || !strings.Contains(err.Error(), "set the environment variable HITREFLECT_TEST_KEY") {
		t.Errorf("no key: %v", err)
	}
	t.Setenv("HITREFLECT_TEST_KEY", "short")
	if _, err := KeyFromEnv("HITREFLECT_TEST_KEY"); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short key: %v", err)
	}
	t.Setenv("HITREFLECT_TEST_KEY", "aaaaaaaaaaaaaaaaaaaa")
	if _, err := KeyFromEnv("HITREFLECT_TEST_KEY"); err == nil || !strings.Contains(err.Error(), "too easy to guess") {
		t.Errorf("weak key: %v", err)
	}
}

// An export stopped part-way leaves neither the export nor its working folder.
func TestInterruptedExportLeavesNothing(t *testing.T) {
	t.Parallel()
	s, w := district(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "export")
	p, _ := New([]byte("a district secret of some length"))
	c, _ := w.DB.Conn(context.Background())
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, c, s.Config, p, Options{OutDir: out}); !errors.Is(err, context.Canceled) {
		t.Fatalf("export returned %v, want it cancelled", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	// A working folder left by a hard kill is removed by the next export.
	stale := filepath.Join(dir, ".export.partial-123")
	os.MkdirAll(stale, 0o700)
	c3, _ := w.DB.Conn(context.Background())
	defer c3.Close()
	if _, err := Run(t.Context(), c3, s.Config, p, Options{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("the stale working folder is still there")
	}
	// And it refuses to write over an earlier export.
	os.MkdirAll(filepath.Join(out, "old"), 0o700)
	c2, _ := w.DB.Conn(context.Background())
	defer c2.Close()
	if _, err := Run(t.Context(), c2, s.Config, p, Options{OutDir: out}); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("wrote over an existing export: %v", err)
	}
}
