package warehouse

import (
	"os"
	"path/filepath"
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
