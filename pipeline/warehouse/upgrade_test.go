package warehouse

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testdata/upgrade/ holds a warehouse written by an earlier hitreflect (its
// manifest names the driver and DuckDB version) after a small demo run, and
// a manifest of every table's rows: count and a digest of the rows' values.
// A district upgrading hitreflect opens the warehouse it already has; this
// test does the same and must find every row unchanged.
const upgradeDir = "testdata/upgrade"

type upgradeManifest struct {
	WrittenBy     string                   `json:"written_by"`
	DuckDB        string                   `json:"duckdb_version"`
	SchemaVersion int                      `json:"schema_version"`
	Tables        map[string]tableManifest `json:"tables"`
}

type tableManifest struct {
	Columns []string `json:"columns"`
	Rows    int      `json:"rows"`
	SHA256  string   `json:"sha256"`
}

func TestOldWarehouseUpgradesWithEveryRow(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(upgradeDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want upgradeManifest
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	// Work on a copy: opening migrates and checkpoints the file in place.
	path := filepath.Join(t.TempDir(), "hitreflect.duckdb")
	copyFile(t, filepath.Join(upgradeDir, "hitreflect.duckdb"), path)

	w, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open the warehouse written by %s (DuckDB %s): %v", want.WrittenBy, want.DuckDB, err)
	}
	defer w.Close()
	all, _ := Migrations()
	if v, err := w.SchemaVersion(t.Context()); err != nil || v != all[len(all)-1].Version {
		t.Errorf("schema version after the upgrade: %d (%v), want %d", v, err, all[len(all)-1].Version)
	}
	if len(want.Tables) < 8 {
		t.Fatalf("manifest lists %d tables; the fixture should hold the canonical tables and runs", len(want.Tables))
	}
	for name, tm := range want.Tables {
		if tm.Rows == 0 && name != "schema_migrations" {
			t.Logf("%s was empty in the old warehouse", name)
		}
		if name == "schema_migrations" { // the upgrade adds its own rows
			var old int
			w.DB.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version <= ?`, want.SchemaVersion).Scan(&old)
			if old != tm.Rows {
				t.Errorf("schema_migrations: %d rows up to version %d, the old warehouse had %d", old, want.SchemaVersion, tm.Rows)
			}
			continue
		}
		got, err := digestTable(w.DB, name, tm.Columns)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.Rows != tm.Rows || got.SHA256 != tm.SHA256 {
			t.Errorf("%s after the upgrade: %d rows, digest %s; the old warehouse had %d rows, digest %s",
				name, got.Rows, got.SHA256[:12], tm.Rows, tm.SHA256[:12])
		}
	}
	// The upgraded warehouse takes new rows like a new one (sequences carried over).
	if _, err := w.DB.Exec(`INSERT INTO runs (run_id, started_at, finished_at, status, summary)
		VALUES (nextval('run_ids'), now(), now(), 'ok', '{}')`); err != nil {
		t.Errorf("a new run after the upgrade: %v", err)
	}
}

// TestWriteUpgradeFixture rewrites testdata/upgrade/manifest.json for the
// warehouse at HITREFLECT_UPGRADE_FIXTURE (a demo's data/hitreflect.duckdb,
// copied beside it). It runs only when asked: the fixture is written once,
// by the release being upgraded from.
func TestWriteUpgradeFixture(t *testing.T) {
	src := os.Getenv("HITREFLECT_UPGRADE_FIXTURE")
	if src == "" {
		t.Skip("set HITREFLECT_UPGRADE_FIXTURE=path/to/hitreflect.duckdb to rewrite the upgrade fixture")
	}
	db, err := sql.Open("duckdb", src+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := upgradeManifest{WrittenBy: os.Getenv("HITREFLECT_UPGRADE_WRITTEN_BY"), Tables: map[string]tableManifest{}}
	if err := db.QueryRow(`SELECT version()`).Scan(&m.DuckDB); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&m.SchemaVersion); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, name := range tables {
		cols, err := tableColumns(db, name)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := digestTable(db, name, cols)
		if err != nil {
			t.Fatal(err)
		}
		m.Tables[name] = tm
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(upgradeDir, "manifest.json"), append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func tableColumns(db *sql.DB, table string) ([]string, error) {
	rows, err := db.Query(`SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// digestTable counts a table's rows and hashes their values, formatted the
// same way whichever driver version scanned them, in sorted order.
func digestTable(db *sql.DB, table string, cols []string) (tableManifest, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	rows, err := db.Query(`SELECT ` + strings.Join(quoted, ", ") + ` FROM "` + table + `"`)
	if err != nil {
		return tableManifest{}, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return tableManifest{}, err
	}
	var lines []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return tableManifest{}, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = canonical(types[i].DatabaseTypeName(), v)
		}
		lines = append(lines, strings.Join(parts, "\x1f"))
	}
	if err := rows.Err(); err != nil {
		return tableManifest{}, err
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l+"\n")
	}
	return tableManifest{Columns: cols, Rows: len(lines), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// canonical formats a value so that each driver version writes it alike.
// A TIME is a time of day: drivers have put it on different dates.
func canonical(dbType string, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if dbType == "TIME" {
			return x.Format("15:04:05.999999")
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return hex.EncodeToString(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case *big.Int:
		return x.String()
	case string:
		return strconv.Quote(x)
	default: // integers of any width, booleans: the value, not the Go type
		return fmt.Sprint(x)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
