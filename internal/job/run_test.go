package job

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/internal/wiring"
	"github.com/hitreflect/hitreflect/pipeline"
)

// prune keeps the newest dated outputs and touches nothing else.
func TestPruneKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"20251001-020000", "20251003-020000", "20251002-020000", "notes", "2025-10-01"} {
		if err := os.MkdirAll(filepath.Join(dir, name, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A file with a folder's name, and a folder with a summary's name, are
	// not what a run writes: left alone.
	os.WriteFile(filepath.Join(dir, "20240101-000000"), nil, 0o600)
	os.MkdirAll(filepath.Join(dir, "20240101-000000.json"), 0o700)
	n, err := prune(dir, 2)
	if err != nil || n != 1 {
		t.Fatalf("removed %d, %v; want 1", n, err)
	}
	if got, want := names(t, dir), []string{"20240101-000000", "20240101-000000.json", "2025-10-01", "20251002-020000", "20251003-020000", "notes"}; !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
	if n, err := prune(dir, 0); n != 0 || err != nil {
		t.Errorf("keep 0 removed %d (%v)", n, err)
	}
	if n, err := prune(filepath.Join(dir, "missing"), 3); n != 0 || err != nil {
		t.Errorf("a missing folder: %d, %v", n, err)
	}
}

// Nightly runs keep the config's number of outputs of each kind; a run
// whose export fails leaves the last good exports where they are.
func TestRunKeepsTheNewestOutputs(t *testing.T) {
	dir := t.TempDir()
	sum, err := synth.Generate(t.Context(), dir, synth.Options{Students: 200})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(sum.ConfigPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("keep: {runs: 2, metrics: 2, exports: 1}\nreports: {audience: none}\n")
	f.Close()
	s, err := pipeline.Prepare(sum.ConfigPath, wiring.Connectors())
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.OpenWarehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	out := s.Config.OutputDir()
	os.MkdirAll(filepath.Join(out, "metrics"), 0o700)
	os.WriteFile(filepath.Join(out, "metrics", "README.txt"), []byte("a person's note\n"), 0o600)

	t.Setenv(s.Config.Privacy.PseudonymKeyEnv, "test-key-9f3b27c1d4e8a605")
	night := func(day int) *RunSummary {
		t.Helper()
		at := time.Date(2025, 10, day, 2, 0, 0, 0, time.UTC)
		// Forced: the nights have no new files, and this is about keeping outputs.
		sum, err := Run(t.Context(), s, w, RunOptions{Now: func() time.Time { return at }, Force: true})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	for day := 1; day <= 3; day++ {
		if sum := night(day); sum.Status != "ok" {
			t.Fatalf("night %d: %+v", day, sum)
		}
	}
	third := night(4)
	if third.Metrics.OlderRemoved != 1 || third.Export.OlderRemoved != 1 {
		t.Errorf("night 4 removed %d metrics and %d exports; want 1 and 1", third.Metrics.OlderRemoved, third.Export.OlderRemoved)
	}
	expect := func(sub string, want ...string) {
		t.Helper()
		if got := names(t, filepath.Join(out, sub)); !slices.Equal(got, want) {
			t.Errorf("%s/ holds %q, want %q", sub, got, want)
		}
	}
	expect("metrics", "20251003-020000", "20251004-020000", "README.txt")
	expect("exports", "20251004-020000")
	expect("runs", "20251003-020000.json", "20251004-020000.json")

	// The export fails (a key too short): the last good export stays.
	t.Setenv(s.Config.Privacy.PseudonymKeyEnv, "short")
	if sum := night(5); sum.Status != "failed" || sum.Export.Error == "" || sum.Export.OlderRemoved != 0 {
		t.Errorf("night 5: %+v", sum.Export)
	}
	expect("exports", "20251004-020000")
	expect("metrics", "20251004-020000", "20251005-020000", "README.txt")

	var runs int
	if err := w.DB.QueryRow(`SELECT count(*) FROM runs`).Scan(&runs); err != nil || runs != 5 {
		t.Errorf("runs table: %d rows (%v), want all 5", runs, err)
	}
	if third.Reports.Done || !strings.Contains(third.Reports.Note, "audience is none") {
		t.Errorf("reports with audience none: %+v", third.Reports)
	}
	if _, err := os.Stat(filepath.Join(out, "year")); !os.IsNotExist(err) {
		t.Errorf("packets written with audience none: %v", err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// A night with nothing new keeps the last run's outputs and says so; a new
// file, a changed config, a missing output or --force computes them again.
func TestNothingNewKeepsTheLastOutputs(t *testing.T) {
	dir := t.TempDir()
	gen, err := synth.Generate(t.Context(), dir, synth.Options{Students: 200})
	if err != nil {
		t.Fatal(err)
	}
	prepare := func() *pipeline.Setup {
		s, err := pipeline.Prepare(gen.ConfigPath, wiring.Connectors())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := prepare()
	w, err := s.OpenWarehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	day := 0
	night := func(s *pipeline.Setup, force bool) *RunSummary {
		t.Helper()
		day++
		at := time.Date(2025, 10, day, 2, 0, 0, 0, time.UTC)
		sum, err := Run(t.Context(), s, w, RunOptions{Now: func() time.Time { return at }, Force: force})
		if err != nil || sum.Status != "ok" {
			t.Fatalf("night %d: %v %+v", day, err, sum)
		}
		return sum
	}
	computed := func(sum *RunSummary, want bool) {
		t.Helper()
		for _, st := range []StageSummary{sum.Metrics, sum.Reports} {
			if st.Kept == want || !st.Done {
				t.Errorf("night %d: %+v, want computed %v", day, st, want)
			}
		}
		if want && !strings.HasSuffix(sum.Metrics.Output, sum.Started.Format("20060102-150405")) {
			t.Errorf("night %d: metrics in %s", day, sum.Metrics.Output)
		}
	}
	first := night(s, false)
	computed(first, true)

	second := night(s, false)
	computed(second, false)
	if second.Metrics.Output != first.Metrics.Output || !strings.Contains(second.Metrics.Note, "nothing new since the run of") {
		t.Errorf("kept metrics: %+v", second.Metrics)
	}
	if got := names(t, filepath.Join(s.Config.OutputDir(), "metrics")); len(got) != 1 {
		t.Errorf("metrics/ holds %v after a night with nothing new", got)
	}

	computed(night(s, true), true) // --force

	// A new file lands.
	landing := filepath.Join(dir, "landing", "brightpath")
	months, _ := filepath.Glob(filepath.Join(landing, "*.csv"))
	b, _ := os.ReadFile(months[0])
	lines := strings.SplitN(string(b), "\n", 3)
	extra := lines[0] + "\n" + strings.Replace(lines[1], "BP", "BX", 1) + "\nTOTAL SESSIONS,1\n"
	os.WriteFile(filepath.Join(landing, "brightpath_extra.csv"), []byte(extra), 0o600)
	computed(night(s, false), true)
	computed(night(s, false), false)

	// The config changes.
	f, _ := os.OpenFile(gen.ConfigPath, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# a note added to the config\n")
	f.Close()
	s = prepare()
	computed(night(s, false), true)

	// Someone deleted the packets.
	last := night(s, false)
	computed(last, false)
	os.RemoveAll(last.Reports.Output)
	computed(night(s, false), true)
}
