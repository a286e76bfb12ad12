package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/internal/synth"
)

// Withholding the last day moves rows, it loses none: the monthly file and
// the new-day file together hold every row the month had, and each totals
// line counts its own file's rows.
func TestWithholdLastDayKeepsEveryRow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := synth.Generate(t.Context(), dir, synth.Options{Students: 300, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	months, _ := filepath.Glob(filepath.Join(dir, "landing", "brightpath", "brightpath_*.csv"))
	month := months[len(months)-1]
	before := dataLines(t, month)
	if err := withholdLastDay(dir); err != nil {
		t.Fatal(err)
	}
	day, err := newDayFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	kept, moved := dataLines(t, month), dataLines(t, day.path)
	if len(moved) == 0 || len(moved) != day.rows || len(kept)+len(moved) != len(before) {
		t.Fatalf("month had %d rows; kept %d, moved %d (new-day file says %d)", len(before), len(kept), len(moved), day.rows)
	}
	date := strings.Split(moved[0], ",")[3]
	for _, l := range moved {
		if strings.Split(l, ",")[3] != date {
			t.Errorf("moved row of another day: %s", l)
		}
	}
	for _, l := range kept {
		if f := strings.Split(l, ","); len(f) > 3 && f[3] == date {
			t.Errorf("a row of %s stayed in the month: %s", date, l)
		}
	}
	if !strings.HasSuffix(day.landingPath, filepath.Join("landing", "brightpath", filepath.Base(day.path))) {
		t.Errorf("the new day lands at %s", day.landingPath)
	}
}

// dataLines gives a BrightPath file's rows, checking its totals line.
func dataLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	rows := lines[1 : len(lines)-1]
	if want := "TOTAL SESSIONS," + strconv.Itoa(len(rows)); lines[len(lines)-1] != want {
		t.Errorf("%s ends %q, want %q", filepath.Base(path), lines[len(lines)-1], want)
	}
	return rows
}

func TestBenchConfigMovesWarehouseAndOutputOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	orig := "district: X\nwarehouse: data/w.duckdb\noutput: out\nsources:\n  - {name: a, connector: {type: local, path: landing/a}}\n"
	os.WriteFile(filepath.Join(dir, synth.ConfigFile), []byte(orig), 0o600)
	p, err := benchConfig(dir, "run")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	want := "district: X\nwarehouse: bench/run/hitreflect.duckdb\noutput: bench/run/out\nsources:\n  - {name: a, connector: {type: local, path: landing/a}}\n"
	if string(b) != want {
		t.Errorf("bench config:\n%s\nwant:\n%s", b, want)
	}
	os.WriteFile(filepath.Join(dir, synth.ConfigFile), []byte("district: X\n"), 0o600)
	if _, err := benchConfig(dir, "run"); err == nil {
		t.Error("a config without warehouse: and output: lines was taken")
	}
}
