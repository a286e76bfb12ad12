package export

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// Two exports of unchanged data are the same bytes, so a researcher can
// compare checksums. It takes a district big enough for DuckDB to work in
// parallel (over a million session rows): before the export wrote each
// year sorted and by one thread, sessions' bytes differed between two
// exports at this size (rows and row groups in another order), though
// they were equal at 20,000 students.
func TestExportIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and loads a 40,000-student district")
	}
	t.Parallel()
	d := testdistrict.Load(t, 40000, 3)
	export := func() *Manifest {
		// Each in a fresh session with the metrics set-up redone, as two
		// nightly runs would be.
		c, err := d.Warehouse.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := metrics.New(t.Context(), c, d.Setup.Config, time.Now); err != nil {
			t.Fatal(err)
		}
		c.Close()
		p, err := New([]byte("demo-only-key-do-not-use-4f9c2a71"))
		if err != nil {
			t.Fatal(err)
		}
		c, err = d.Warehouse.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		m, err := Run(t.Context(), c, d.Setup.Config, p, Options{OutDir: filepath.Join(t.TempDir(), "x"),
			Tables: []string{"sessions", "student_year"}, Version: "test", Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := export(), export()
	if len(a.Files) != 2 || len(b.Files) != 2 {
		t.Fatalf("files: %+v %+v", a.Files, b.Files)
	}
	for i := range a.Files {
		if a.Files[i].Path != b.Files[i].Path || a.Files[i].SHA256 != b.Files[i].SHA256 {
			t.Errorf("%s (%d rows): SHA-256 %s, then %s", a.Files[i].Path, a.Files[i].Rows, a.Files[i].SHA256, b.Files[i].SHA256)
		}
	}
	if a.Files[0].Rows < 1_000_000 {
		t.Errorf("only %d session rows: too few for DuckDB to work in parallel", a.Files[0].Rows)
	}
}
