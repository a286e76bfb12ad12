package warehouse

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestOpenCreatesOwnerOnlyAndMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "w.duckdb")
	for i := 0; i < 2; i++ { // the second open finds the schema current
		w, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := w.SchemaVersion(t.Context())
		all, _ := Migrations()
		if err != nil || v != all[len(all)-1].Version {
			t.Errorf("schema version %d (%v), want %d", v, err, all[len(all)-1].Version)
		}
		var n int
		w.DB.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
		if n != len(all) {
			t.Errorf("open %d: %d migrations recorded, want %d", i, n, len(all))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.GOOS == "windows" {
		return // no modes there: an access list (pipeline/private tests it)
	}
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		info, err := os.Stat(p)
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", p, info.Mode().Perm(), err, want)
		}
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	w.DB.Exec(`INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')`)
	w.Close()
	if _, err := Open(t.Context(), path); err == nil || !strings.Contains(err.Error(), "schema version 999, newer than this hitreflect knows") {
		t.Errorf("opened a newer warehouse: %v", err)
	}
}

// memory_limit reaches DuckDB; a value DuckDB refuses is an error naming it.
func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	w, err := OpenWith(t.Context(), filepath.Join(t.TempDir(), "w.duckdb"), Options{MemoryLimit: "300MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got string
	if err := w.DB.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "286.1 MiB" { // DuckDB reads MB as 1000², and shows MiB
		t.Errorf("memory_limit is %q, want 300MB shown as 286.1 MiB", got)
	}
	if _, err := OpenWith(t.Context(), filepath.Join(t.TempDir(), "v.duckdb"), Options{MemoryLimit: "lots"}); err == nil || !strings.Contains(err.Error(), `memory_limit "lots"`) {
		t.Errorf("a bad limit: %v", err)
	}
}

// Without a memory_limit in the config, DuckDB gets a quarter of the
// machine's memory, at most 1 GiB.
func TestDefaultMemoryLimit(t *testing.T) {
	t.Parallel()
	total := machineMemory()
	if total == 0 {
		t.Skip("the machine's memory is not known here")
	}
	w, err := Open(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var shown string // DuckDB shows the limit rounded: "1.5 GiB", "953.6 MiB"
	if err := w.DB.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&shown); err != nil {
		t.Fatal(err)
	}
	var v float64
	var unit string
	if _, err := fmt.Sscanf(shown, "%g %s", &v, &unit); err != nil {
		t.Fatalf("memory_limit %q: %v", shown, err)
	}
	got := v * map[string]float64{"MiB": 1 << 20, "GiB": 1 << 30}[unit]
	want := float64(min(total/4, 1<<30)) // written out: the test does not read the constant it checks
	if got < want*0.99 || got > want*1.01 {
		t.Errorf("memory_limit %q (%.0f MiB), want %.0f MiB of a %d MiB machine", shown, got/(1<<20), want/(1<<20), total>>20)
	}
}
