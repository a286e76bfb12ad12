package ingest

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/config"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The real export layouts in testdata/samples (see its README for their
// source and licence) load with the built-in profiles
// as they are; the loaded rows are compared with a golden file.
func TestVendorSamplesLoadAsTheyAre(t *testing.T) {
	t.Parallel()
	// i-Ready names its schools only by name: the config's list gives the id.
	f := newFixture(t, "schools: [{id: \"0901\", name: School 1}]\n")
	var summary []string
	for _, c := range []struct{ file, profile string }{
		{"nwea_map_growth_cdf_sample.csv", "nwea-map-cdf"},
		{"iready_diagnostic_math_sample.csv", "iready-diagnostic"},
		{"iready_diagnostic_ela_sample.csv", "iready-diagnostic"},
	} {
		res := f.load("tests", "testdata/samples/"+c.file, c.profile)
		if res.Status != StatusLoaded || res.Rejected != 0 {
			t.Fatalf("%s: %s %s, rejects %v", c.file, res.Status, res.Message, res.Rejects)
		}
		summary = append(summary, strings.Join([]string{c.file, res.Encoding, "read " + itoa(res.Read), "loaded " + itoa(res.Loaded),
			"skipped " + itoa(res.Skipped), "dropped " + strings.Join(res.DroppedColumns, "/")}, " | "))
	}
	rows := f.query(`SELECT student_id, school_id, grade, assessment, subject, school_year, "window",
		CAST(test_date AS VARCHAR), scale_score, percentile, achievement_level, line FROM assessments ORDER BY ALL`)
	got := "# files\n" + strings.Join(summary, "\n") + "\n# assessments\n" + strings.Join(rows, "\n") + "\n"
	golden := "testdata/samples.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline/ingest -run VendorSamples -update)", err)
	}
	if got != string(want) {
		t.Errorf("loaded rows differ from %s:\n got:\n%s\nwant:\n%s", golden, got, want)
	}
	// Names in the files (Last 1, First 1, user names) reach no table.
	for _, table := range []string{"assessments", "students", "schools", "rejects", "files"} {
		for _, row := range f.query(`SELECT * FROM ` + table) {
			for _, name := range []string{"Last 1", "First 1", "AUTO_1234567"} {
				if strings.Contains(row, name) {
					t.Errorf("%s holds %q: %s", table, name, row)
				}
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A file with both a math and a reading marker cannot say its subject.
func TestHeaderConstantsMustAgree(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	both := "Student ID,Completion Date,Overall Scale Score,Quantile Measure,Lexile Measure\n1,9/15/2025,450,300Q,400L\n"
	res := f.load("tests", write(t, "both.csv", both), "iready-diagnostic")
	if res.Status != StatusRejected || !strings.Contains(res.Message, `the file has both "Lexile Measure" and "Quantile Measure" headers`) {
		t.Errorf("status %s: %s", res.Status, res.Message)
	}
}

// The real anonymized samples of the newer built-in layouts (2023-24) load
// with no reject, every row accounted for, and no name reaches a table.
func TestVendorSamplesOfTheNewLayouts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, `schools: [{id: "01", name: School One}]
`)
	noSchools := newFixture(t, "")
	f.cfg.Calendar.Windows = map[string][]config.Date{}
	for w, r := range map[string][2]string{"fall": {"2023-08-01", "2023-11-30"}, "winter": {"2023-12-01", "2024-02-29"}, "spring": {"2024-03-01", "2024-06-30"}} {
		for _, d := range r {
			tm, _ := time.Parse("2006-01-02", d)
			f.cfg.Calendar.Windows[w] = append(f.cfg.Calendar.Windows[w], config.Date{Time: tm, Raw: d})
		}
	}
	for _, c := range []struct {
		file, profile         string
		read, loaded, skipped int64
	}{
		{"star_reading_sample.csv", "renaissance-star", 10, 10, 0},
		{"map_reading_fluency_sample.csv", "map-fluency", 45, 24, 21},
		{"dibels8_benchmark_sample.csv", "dibels8-benchmark", 75, 27, 48},
		{"istation_isip_sample.csv", "istation-isip", 60, 36, 24},
		// FastBridge names schools only by name, not in this config's list:
		// loaded without a schools list, so the school comes from a roster.
		{"fastbridge_amath_sample.csv", "fastbridge", 30, 7, 23},
		{"fastbridge_earlymath_sample.csv", "fastbridge", 702, 120, 582},
		{"fastbridge_cbmreading_sample.csv", "fastbridge", 15, 15, 0},
	} {
		into := f
		if c.profile == "fastbridge" {
			into = noSchools
		}
		res := into.load("tests", "testdata/samples/"+c.file, c.profile)
		if res.Status != StatusLoaded || res.Rejected != 0 || res.Read != c.read || res.Loaded != c.loaded || res.Skipped != c.skipped {
			t.Errorf("%s: %s %s: read %d loaded %d skipped %d rejected %d, want %d %d %d 0 (%v)", c.file, res.Status, res.Message,
				res.Read, res.Loaded, res.Skipped, res.Rejected, c.read, c.loaded, c.skipped, res.Rejects)
		}
	}
	for _, fx := range []*fixture{f, noSchools} {
		for _, table := range []string{"assessments", "students", "schools", "rejects", "files"} {
			for _, row := range fx.query(`SELECT * FROM ` + table) {
				for _, name := range []string{"StudentLast1", "StringFirst1", "email@email.com", "WILLIAMS", "NGUYEN", "2019-03-10"} {
					if strings.Contains(row, name) {
						t.Errorf("%s holds %q: %s", table, name, row)
					}
				}
			}
		}
	}
}
