package cli

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// The crash campaign: each command is killed with SIGKILL at random moments
// (HITREFLECT_KILLS times, default 5; scripts/crash runs 50), then run to
// the end; every warehouse table and every output folder must then equal a
// clean run's, and no half-written folder may be left where a person or a
// copy job would find it.
func TestKilledAnywhereRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes; not in -short")
	}
	kills := 5
	if n, err := strconv.Atoi(os.Getenv("HITREFLECT_KILLS")); err == nil && n > 0 {
		kills = n
	}
	t.Setenv("HITREFLECT_PSEUDONYM_KEY", "a test key, not a secret, at least 32 bytes long")
	district := func(name string) string {
		dir := filepath.Join(t.TempDir(), name)
		if _, err := synth.Generate(context.Background(), dir, synth.Options{Students: 400, Seed: 11}); err != nil {
			t.Fatal(err)
		}
		// The district's packet only, to keep the campaign short.
		f, err := os.OpenFile(filepath.Join(dir, synth.ConfigFile), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("reports: {audience: district}\n")
		f.Close()
		return filepath.Join(dir, synth.ConfigFile)
	}
	steps := []struct {
		name string
		args []string
	}{
		{"ingest", []string{"ingest"}},
		{"export", []string{"export", "--out", "research"}},
		{"report", []string{"report", "--audience", "district"}},
		{"run", []string{"run", "--force"}},
	}
	argsFor := func(cfg string, args []string) []string {
		out := append([]string{args[0], "--config", cfg}, args[1:]...)
		for i, a := range out {
			if a == "research" {
				out[i] = filepath.Join(filepath.Dir(cfg), "research")
			}
		}
		return out
	}

	// The clean run, each step timed: kills fall within its length.
	clean := district("clean")
	took := map[string]time.Duration{}
	for _, s := range steps {
		start := time.Now()
		if code, out, errOut := run(t, argsFor(clean, s.args)...); code != ExitOK && code != ExitWarnings {
			t.Fatalf("clean %s: exit %d\n%s%s", s.name, code, out, errOut)
		}
		took[s.name] = time.Since(start)
	}
	want := districtState(t, clean)

	killed := district("killed")
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for _, s := range steps {
		var at []string
		// Kills fall within what is left of the work: when an attempt gets
		// to the end, the next ones are aimed within its length.
		span := took[s.name]
		done := false
		for k := 0; k < kills && !done; k++ {
			wait := time.Duration(r.Int64N(int64(span) + 1))
			cmd := cliProcess(t, argsFor(killed, s.args)...)
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(wait)
			cmd.Process.Signal(syscall.SIGKILL)
			err := cmd.Wait()
			if err == nil {
				span = max(time.Since(start), 50*time.Millisecond)
				// An export goes to a new folder, never over one: once an
				// attempt wrote it, the command is done.
				done = s.name == "export"
			}
			at = append(at, fmt.Sprintf("%dms (%v)", wait.Milliseconds(), exitOf(err)))
		}
		t.Logf("%s (%dms clean): killed at %s", s.name, took[s.name].Milliseconds(), strings.Join(at, ", "))
		if done {
			continue
		}
		// Then to the end, as the next night would.
		if code, out, errOut := run(t, argsFor(killed, s.args)...); code != ExitOK && code != ExitWarnings {
			t.Fatalf("%s after %d kills: exit %d\n%s%s", s.name, kills, code, out, errOut)
		}
	}
	got := districtState(t, killed)
	for _, k := range slices.Sorted(mapKeys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s differs after the kills:\n clean  %s\n killed %s", k, want[k], got[k])
		}
	}
	for _, k := range slices.Sorted(mapKeys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s is there after the kills and not after a clean run: %s", k, got[k])
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func exitOf(err error) string {
	if err == nil {
		return "finished"
	}
	return "killed"
}

// districtState is what a person or an analyst would find: every
// warehouse table's content (without file ids and times, which differ
// between two loads of the same files), the research export's files, and
// the packet's tables and file names; and any half-written folder.
func districtState(t *testing.T, cfg string) map[string]string {
	t.Helper()
	dir := filepath.Dir(cfg)
	out := map[string]string{}
	w, err := warehouse.Open(context.Background(), filepath.Join(dir, "data", "hitreflect.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	for table, q := range map[string]string{
		"sessions":    `SELECT * EXCLUDE (file_id) FROM sessions`,
		"assessments": `SELECT * EXCLUDE (file_id) FROM assessments`,
		"students":    `SELECT * EXCLUDE (file_id) FROM students`,
		"schools":     `SELECT * FROM schools`,
		"providers":   `SELECT * FROM providers`,
		"files": `SELECT source, regexp_extract(path, '[^/]*$'), content_hash, status, rows_read, rows_loaded, rows_rejected,
			rows_duplicate, rows_skipped, rows_removed FROM files`,
		"rejects": `SELECT regexp_extract(f.path, '[^/]*$'), r.line, r.record, r.column_name, r.field, r.value, r.reason
			FROM rejects r JOIN files f USING (file_id)`,
	} {
		var n int64
		var sum sql.NullString
		if err := w.DB.QueryRow(`SELECT count(*), md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM (`+q+`) t`).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out["table "+table] = fmt.Sprintf("%d rows, %s", n, sum.String)
	}
	w.Close()
	hash := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%x", sha256.Sum256(b))
	}
	// The export: every file but its manifest (which says when), byte for byte.
	filepath.WalkDir(filepath.Join(dir, "research"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "manifest.json" {
			rel, _ := filepath.Rel(dir, p)
			out["file "+rel] = hash(p)
		}
		return nil
	})
	// The packet: its file names, and its tables byte for byte (the deck,
	// the page and the workbook say when they were made).
	pk := filepath.Join(dir, "out", "year", "district")
	filepath.WalkDir(pk, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out["file "+rel] = "present"
		if strings.HasSuffix(p, ".csv") {
			out["file "+rel] = hash(p)
		}
		return nil
	})
	// Nothing half-written beside the outputs.
	for _, parent := range []string{dir, filepath.Join(dir, "out"), filepath.Join(dir, "out", "year")} {
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), ".old-") || strings.HasPrefix(e.Name(), ".hitreflect-") {
				out["left over "+filepath.Join(parent, e.Name())] = "present"
			}
		}
	}
	return out
}
