package ingest

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
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
