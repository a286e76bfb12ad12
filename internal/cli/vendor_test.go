package cli

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

const vendorConfigHead = `district: Riverside Unified
school_year: 2025-26
calendar:
  start: 2025-08-11
  end: 2026-06-05
  windows: {fall: [2025-08-11, 2025-11-30], winter: [2025-12-01, 2026-02-28], spring: [2026-03-01, 2026-06-15]}
warehouse: data/hitreflect.duckdb
schools:
  - {id: "101", name: Lincoln Elementary}
  - {id: "102", name: Washington Middle}
providers: [{id: acme, name: Acme}]
`

// vendorDistrict puts each synthetic vendor fixture in a landing folder of
// its own, with a source reading it under profileOf(fixture).
func vendorDistrict(t *testing.T, fixtures []synth.VendorFixture, profileOf func(synth.VendorFixture) string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(vendorConfigHead + "sources:\n")
	for i, f := range fixtures {
		land := filepath.Join(dir, "landing", fmt.Sprint(i))
		if err := os.MkdirAll(land, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(land, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  - {name: src%d, kind: %s, connector: {type: local, path: landing/%d}, profile: %s}\n", i, f.Kind, i, profileOf(f))
	}
	b.WriteString(extra)
	cfg := filepath.Join(dir, "hitreflect.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fileCounts reads each file's counts from the warehouse, by file name.
func fileCounts(t *testing.T, cfg string) map[string][5]int64 {
	t.Helper()
	w, err := warehouse.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "data", "hitreflect.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rows, err := w.DB.Query(`SELECT path, status, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_skipped FROM files`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][5]int64{}
	for rows.Next() {
		var path, status string
		var c [5]int64
		var rej sql.NullInt64
		if err := rows.Scan(&path, &status, &c[0], &c[1], &rej, &c[3], &c[4]); err != nil {
			t.Fatal(err)
		}
		c[2] = rej.Int64
		if status != "loaded" {
			c[2] = -1
		}
		out[filepath.Base(path)] = c
	}
	return out
}

// Each built-in vendor profile loads a synthetic file of its layout through
// ingest, as a user runs it: no rejects, every row accounted for; check
// shows the mapping and the columns dropped as personal data.
func TestBuiltinVendorProfilesLoadTheirLayouts(t *testing.T) {
	t.Parallel()
	fixtures, err := synth.VendorFixtures(2026)
	if err != nil {
		t.Fatal(err)
	}
	cfg := vendorDistrict(t, fixtures, func(f synth.VendorFixture) string { return f.Profile }, "")
	if code, out, errOut := run(t, "ingest", "--config", cfg); code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	got := fileCounts(t, cfg)
	for i, f := range fixtures {
		c, ok := got[f.Name]
		want := [5]int64{f.Read, f.Loaded, 0, 0, f.Skipped}
		if !ok || c != want {
			t.Errorf("%s (%s): read, loaded, rejected, duplicate, skipped = %v, want %v", f.Name, f.Profile, c, want)
		}
		code, out, errOut := run(t, "check", "--config", cfg, "--source", fmt.Sprintf("src%d", i),
			filepath.Join(filepath.Dir(cfg), "landing", fmt.Sprint(i), f.Name))
		// Every layout but MAP Fluency's carries names or birth dates.
		dropped := f.Profile == "map-fluency" || strings.Contains(out, "Dropped:   personal data, never read: ")
		if code != 0 || !strings.Contains(out, "Mapping:\n  student_id <- ") || !dropped {
			t.Errorf("check %s: exit %d\n%s%s", f.Name, code, out, errOut)
		}
	}
}

// profile suggest, on each fixture, prints a profile that loads it.
func TestProfileSuggestLoadsEachVendorLayout(t *testing.T) {
	t.Parallel()
	fixtures, err := synth.VendorFixtures(2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtures {
		t.Run(f.Profile, func(t *testing.T) {
			t.Parallel()
			sample := filepath.Join(t.TempDir(), f.Name)
			if err := os.WriteFile(sample, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, suggestion, errOut := run(t, "profile", "suggest", "--kind", f.Kind, "--name", "suggested", sample)
			if code != 0 {
				t.Fatalf("suggest: exit %d %s", code, errOut)
			}
			cfg := vendorDistrict(t, []synth.VendorFixture{f}, func(synth.VendorFixture) string { return "suggested" }, suggestion)
			code, out, errOut := run(t, "ingest", "--config", cfg)
			c := fileCounts(t, cfg)[f.Name]
			if code != 0 || c[1] == 0 || c[2] != 0 || c[0] != c[1]+c[3]+c[4] {
				t.Errorf("the suggested profile: exit %d, read, loaded, rejected, duplicate, skipped = %v\n%s\n%s%s", code, c, suggestion, out, errOut)
			}
			if c[1] != f.Loaded {
				t.Logf("%s: the suggestion loads %d rows, the built-in %d", f.Name, c[1], f.Loaded)
			}
		})
	}
}

// A link in the landing folder to a file outside it is rejected, not read:
// the run says so and exits non-zero; the file's rows reach no table.
func TestLinkOutOfTheLandingFolderIsRejected(t *testing.T) {
	t.Parallel()
	fixtures, err := synth.VendorFixtures(2026)
	if err != nil {
		t.Fatal(err)
	}
	var one []synth.VendorFixture
	for _, f := range fixtures {
		if f.Profile == "istation-isip" {
			one = append(one, f)
		}
	}
	cfg := vendorDistrict(t, one, func(f synth.VendorFixture) string { return f.Profile }, "")
	outside := filepath.Join(t.TempDir(), "ISIP_secret.csv")
	// Other students than the landing folder's file: were the link followed,
	// it would load as a file of its own.
	if err := os.WriteFile(outside, []byte(strings.ReplaceAll(string(one[0].Data), "\n4002", "\n4992")), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(filepath.Dir(cfg), "landing", "0", "ISIP_link.csv")
	if err := os.Symlink(outside, link); err != nil {
		t.Skipf("cannot make links here: %v", err)
	}
	code, out, errOut := run(t, "ingest", "--config", cfg)
	if code != ExitFailed || !strings.Contains(out, "ISIP_link.csv") || !strings.Contains(out, "REJECTED") ||
		!strings.Contains(out, "a link to "+outside+", outside the landing folder") {
		t.Errorf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	got := fileCounts(t, cfg)
	if len(got) != 1 || got[one[0].Name][1] != one[0].Loaded {
		t.Errorf("files %v: want only %s, loaded", got, one[0].Name)
	}
}

// Warnings: a file with more rejected rows than alerts.reject_share, and a
// source silent longer than its expect_every, end ingest and run with exit
// 3 and a line each; status lists them too. Nothing failed, so the run
// counts as a good one.
func TestWarningsEndWithTheirOwnExitCode(t *testing.T) {
	t.Parallel()
	csv := "student_id,assessment,subject,school_year,window,test_date,scale_score\n" +
		"1,star,math,2025-26,fall,2025-09-10,500\n2,star,math,2025-26,fall,2025-09-10,510\n" +
		"3,star,math,2025-26,fall,2025-09-10,abc\n4,star,math,2025-26,fall,2025-09-10,520\n"
	f := synth.VendorFixture{Profile: "canonical-assessments", Kind: "assessments", Name: "tests.csv", Data: []byte(csv)}
	cfg := vendorDistrict(t, []synth.VendorFixture{f}, func(f synth.VendorFixture) string { return f.Profile }, "alerts: {reject_share: 0.1}\n")
	code, out, errOut := run(t, "ingest", "--config", cfg)
	if code != ExitWarnings || !strings.Contains(out, "Warning: src0: tests.csv: 25.0% of its rows were rejected (1 of 4), above the 10.0% of alerts.reject_share") {
		t.Errorf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "status", "--config", cfg)
	if code != ExitOK || !strings.Contains(out, "Warning: src0: tests.csv: 25.0% of its rows were rejected") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	// A source expected every second, and silent since its file loaded.
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text = []byte(strings.Replace(string(text), "profile: canonical-assessments}", "profile: canonical-assessments, expect_every: 1s}", 1))
	text = []byte(strings.Replace(string(text), "reject_share: 0.1", "reject_share: 0.5", 1))
	if err := os.WriteFile(cfg, text, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	code, out, errOut = run(t, "run", "--config", cfg)
	if code != ExitWarnings || !strings.Contains(out, "Warning: src0: no new file since ") || !strings.Contains(out, "(expect_every 1s): ask the sender") {
		t.Errorf("run: exit %d\n%s%s", code, out, errOut)
	}
	// A bad expect_every is a config error with its line.
	bad := strings.Replace(string(text), "expect_every: 1s", "expect_every: weekly", 1)
	os.WriteFile(cfg, []byte(bad), 0o644)
	if code, _, errOut := run(t, "check", "--config", cfg); code != ExitUsage || !strings.Contains(errOut, `sources[0].expect_every: expected how often the source sends a file, such as 36h or 7d, got "weekly"`) {
		t.Errorf("check: exit %d %s", code, errOut)
	}
}
