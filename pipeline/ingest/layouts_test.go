package ingest

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The profile language for assessment exports that are not one score per
// row: wide blocks, several measures, value maps, null values, file name
// parts, schools by name, padded ids, several candidate headers, and the
// personal-data rules. Files are in testdata/layouts, written by hand.
const layoutProfiles = `
schools:
  - {id: "101", name: Lincoln Elementary}
  - {id: "102", name: Washington Middle}
profiles:
  seasons:
    kind: assessments
    columns: {student_id: Student ID, grade: Grade}
    constants: {assessment: screener, subject: math, school_year: 2025-26}
    null_values: {percentile: ["N/A", "N/A*"]}
    wide:
      - placeholder: season
        values: [Fall, Winter, Spring]
        sets: window
        columns:
          test_date: "{season} Date"
          scale_score: "{season} Score"
          percentile: "{season} Percentile"
  measures:
    kind: assessments
    date_format: 01/02/2006
    columns: {student_id: Student ID, window: Benchmark Period, test_date: Assessment Date, school_year: School Year}
    constants: {assessment: dibels8, subject: ela}
    value_maps:
      window: {BOY: fall, MOY: winter, EOY: spring}
      measure: {Composite: composite, "Phonemic Awareness (PSF)": psf, "Oral Reading Fluency (ORF)": orf}
    wide:
      - placeholder: measure
        values: [Composite, "Phonemic Awareness (PSF)", "Oral Reading Fluency (ORF)"]
        sets: measure
        columns:
          scale_score: "{measure} - Score"
          achievement_level: "{measure} - Level"
  by-name:
    kind: assessments
    file_name: "SM_{school_year}_{window}.csv"
    student_id_width: 6
    columns:
      student_id: Student Identifier
      school_name: School Name
      scale_score: [Unified Scale, Scaled Score]
      test_date: Completed Date
    constants: {assessment: star_math, subject: math}
  email-id:
    kind: assessments
    columns: {student_id: Student Email, scale_score: Score, test_date: Date}
    constants: {assessment: x, subject: math}
  email-kept:
    extends: email-id
    keep_columns: [Student Email]
`

func TestWideSeasonBlocks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, layoutProfiles)
	res := f.load("tests", "testdata/layouts/seasons_wide.csv", "seasons")
	if res.Status != StatusLoaded {
		t.Fatalf("status %s: %s", res.Status, res.Message)
	}
	// 3 records x 2 blocks (the file has no Spring columns): 1002's winter
	// block is empty (skipped), 1003's fall score is not a number (rejected).
	if res.Read != 6 || res.Loaded != 4 || res.Rejected != 1 || res.Skipped != 1 {
		t.Errorf("read %d loaded %d rejected %d skipped %d, want 6 4 1 1 (rejects %v, skips %v)",
			res.Read, res.Loaded, res.Rejected, res.Skipped, res.Rejects, res.SkipReasons)
	}
	if res.SkipReasons["empty block Winter (all its columns blank)"] != 1 {
		t.Errorf("skip reasons %v", res.SkipReasons)
	}
	want := []string{
		"1001|3|winter|2026-01-12|210|NULL|composite|true|2",
		"1001|3|fall|2025-09-10|201|55|composite|true|2",
		"1002|4|fall|2025-09-11|199|40|composite|true|3",
		"1003|11|winter|2026-01-13|205|61|composite|true|4",
	}
	got := f.query(`SELECT student_id, grade, "window", strftime(test_date, '%Y-%m-%d'), scale_score, percentile, measure, primary_measure, line
		FROM assessments ORDER BY student_id, "window" DESC`)
	if !slices.Equal(got, want) {
		t.Errorf("assessments:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rej := f.query(`SELECT line, column_name, field, value FROM rejects`)
	if !slices.Equal(rej, []string{"4|Fall Score|scale_score|abc"}) {
		t.Errorf("rejects %v, want the Fall Score cell of line 4", rej)
	}
	if !slices.Equal(res.DroppedColumns, []string{"First Name"}) || !slices.Equal(res.DroppedBecause, []string{"a person's name"}) {
		t.Errorf("dropped %v because %v", res.DroppedColumns, res.DroppedBecause)
	}
	// Loading it again changes nothing.
	again := f.load("tests", "testdata/layouts/seasons_wide.csv", "seasons")
	if again.Status != StatusSeen {
		t.Errorf("second load: %s", again.Status)
	}
}

func TestSeveralMeasuresPerRow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, layoutProfiles)
	res := f.load("tests", "testdata/layouts/measures_wide.csv", "measures")
	if res.Status != StatusLoaded || res.Read != 6 || res.Loaded != 5 || res.Skipped != 1 || res.Rejected != 0 {
		t.Fatalf("%s: read %d loaded %d skipped %d rejected %d (%v %v)", res.Status, res.Read, res.Loaded, res.Skipped, res.Rejected, res.Rejects, res.Message)
	}
	want := []string{
		"fall|composite|350|At Benchmark|true",
		"fall|psf|45|At Benchmark|false",
		"winter|composite|380|Above Benchmark|true",
		"winter|orf|60|Above Benchmark|false",
		"winter|psf|50|Above Benchmark|false",
	}
	got := f.query(`SELECT "window", measure, scale_score, achievement_level, primary_measure FROM assessments ORDER BY "window", measure`)
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// "Phonemic Awareness" is not a phone; "Parent Phone" is personal data.
	if !slices.Equal(res.DroppedColumns, []string{"Parent Phone"}) {
		t.Errorf("dropped %v (%v), want only Parent Phone", res.DroppedColumns, res.DroppedBecause)
	}
	if !slices.ContainsFunc(res.Mapping, func(m string) bool { return strings.HasPrefix(m, `scale_score <- per block: "Composite - Score"`) }) {
		t.Errorf("mapping %v", res.Mapping)
	}
}

func TestFileNameSchoolByNameAndPaddedIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, layoutProfiles)
	res := f.load("tests", "testdata/layouts/SM_2025-26_Fall.csv", "by-name")
	if res.Status != StatusLoaded || res.Loaded != 2 || res.Rejected != 1 {
		t.Fatalf("%s %s: loaded %d rejected %d %v", res.Status, res.Message, res.Loaded, res.Rejected, res.Rejects)
	}
	want := []string{"000123|101|2025-26|fall|512", "000456|102|2025-26|fall|880"}
	if got := f.query(`SELECT student_id, school_id, school_year, "window", scale_score FROM assessments ORDER BY 1`); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	rej := f.query(`SELECT line, column_name, value, reason FROM rejects`)
	if len(rej) != 1 || !strings.HasPrefix(rej[0], `4|School Name|Jefferson High|school_name "Jefferson High" is not in the config's schools list`) {
		t.Errorf("rejects %v", rej)
	}
	// A name the pattern does not fit: rejected whole, saying so.
	res = f.load("tests", "testdata/layouts/star_math_fall.csv", "by-name")
	if res.Status != StatusRejected || !strings.Contains(res.Message, `does not fit the profile's file_name pattern "SM_{school_year}_{window}.csv"`) {
		t.Errorf("%s: %s", res.Status, res.Message)
	}
}

func TestPersonalDataColumnsAreNeverMapped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, layoutProfiles)
	res := f.load("tests", "testdata/layouts/email_id.csv", "email-id")
	if res.Status != StatusRejected || !strings.Contains(res.Message, `"Student Email" looks like an email address`) {
		t.Errorf("%s: %s", res.Status, res.Message)
	}
	res = f.load("tests", "testdata/layouts/email_id.csv", "email-kept")
	if res.Status != StatusLoaded || res.Loaded != 1 {
		t.Errorf("with keep_columns: %s %s loaded %d", res.Status, res.Message, res.Loaded)
	}
}

func TestEveryRowRejectedIsAFailedFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, layoutProfiles)
	res := f.load("tests", "testdata/layouts/all_bad.csv", "seasons")
	if res.Status != StatusRejected || res.Rejected != 2 || !strings.HasPrefix(res.Message, "every data row was rejected (2 of 2 rows read") {
		t.Fatalf("%s rejected %d: %s", res.Status, res.Rejected, res.Message)
	}
	got := f.query(`SELECT status, rows_read, rows_rejected, (SELECT count(*) FROM rejects) FROM files`)
	if !slices.Equal(got, []string{"rejected|2|2|2"}) {
		t.Errorf("files %v", got)
	}
	if again := f.load("tests", "testdata/layouts/all_bad.csv", "seasons"); again.Status != StatusRejected {
		t.Errorf("again: %s", again.Status)
	}
}

// Two administrations in one window are both kept; the same test twice in
// a file is a correction, and the last row counts.
func TestSeveralAdministrationsInAWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	csv := "student_id,assessment,subject,school_year,window,test_date,scale_score\n" +
		"5001,isip,ela,2025-26,fall,2025-09-05,200\n" +
		"5001,isip,ela,2025-26,fall,2025-10-03,210\n" +
		"5001,isip,ela,2025-26,fall,2025-10-03,211\n"
	res := f.load("tests", write(t, "isip.csv", csv))
	if res.Loaded != 2 || res.Skipped != 1 {
		t.Fatalf("loaded %d skipped %d (%v)", res.Loaded, res.Skipped, res.SkipReasons)
	}
	got := f.query(`SELECT strftime(test_date, '%m-%d'), scale_score, line FROM assessments ORDER BY test_date`)
	if !slices.Equal(got, []string{"09-05|200|2", "10-03|211|4"}) {
		t.Errorf("got %v", got)
	}
}

// zipFolder writes the files of dir into a zip in a temp folder.
func zipFolder(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create("export/" + e.Name()) // a folder inside, as some SIS write it
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return out
}

// A OneRoster bundle, 1.1 and 1.2, zipped or as a folder: students only,
// their school's id and name from orgs.csv, gender from demographics.csv.
func TestOneRosterBundles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, path string
		read       int64
		want       []string
	}{
		{"1.1 zip", zipFolder(t, "testdata/layouts/oneroster11", "oneroster.zip"), 5,
			[]string{"001001|101|3|female", "001002|102|0|male", "001003|101|NULL|NULL"}},
		{"1.1 folder", "testdata/layouts/oneroster11/users.csv", 5,
			[]string{"001001|101|3|female", "001002|102|0|male", "001003|101|NULL|NULL"}},
		{"1.2 zip", zipFolder(t, "testdata/layouts/oneroster12", "oneroster.zip"), 3,
			[]string{"001001|101|3|NULL", "001002|102|0|NULL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "")
			res := f.load("roster", c.path, "oneroster")
			if res.Status != StatusLoaded || res.Rejected != 0 || res.Read != c.read || res.Loaded != int64(len(c.want)) {
				t.Fatalf("%s %s: read %d loaded %d rejected %d skipped %d %v", res.Status, res.Message, res.Read, res.Loaded, res.Rejected, res.Skipped, res.Rejects)
			}
			got := f.query(`SELECT student_id, school_id, grade, gender FROM students ORDER BY 1`)
			if !slices.Equal(got, c.want) {
				t.Errorf("students %v, want %v", got, c.want)
			}
			if names := f.query(`SELECT school_id, name FROM schools ORDER BY 1`); !slices.Equal(names, []string{"101|Lincoln Elementary", "102|Washington Middle"}) {
				t.Errorf("schools %v", names)
			}
			for _, row := range f.query(`SELECT * FROM students`) {
				if strings.Contains(row, "Ann") || strings.Contains(row, "ann@x.org") {
					t.Errorf("a name reached the warehouse: %s", row)
				}
			}
		})
	}
	// A zip without users.csv is rejected whole, naming what it holds.
	f := newFixture(t, "")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "orgs.csv"), []byte("sourcedId,name\n"), 0o600)
	res := f.load("roster", zipFolder(t, dir, "partial.zip"), "oneroster")
	if res.Status != StatusRejected || !strings.Contains(res.Message, `the zip has no users.csv (the profile's bundle: file); it holds "orgs.csv"`) {
		t.Errorf("%s: %s", res.Status, res.Message)
	}
}

// skip_without: a subtest a student was discontinued on has a level but no
// score; the block is skipped as not taken, not rejected.
func TestBlockSkippedWithoutItsScore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, `profiles:
  levels:
    kind: assessments
    columns: {student_id: Student ID, test_date: Date}
    constants: {assessment: dibels8, subject: ela, window: fall}
    wide:
      - placeholder: measure
        values: [Composite, LNF]
        sets: measure
        skip_without: [scale_score]
        columns:
          scale_score: "{measure} - Score"
          achievement_level: "{measure} - Level"
`)
	csv := "Student ID,Date,Composite - Score,Composite - Level,LNF - Score,LNF - Level\n" +
		"7001,2025-09-10,300,At Benchmark,,Well Below Benchmark\n"
	res := f.load("tests", write(t, "levels.csv", csv), "levels")
	if res.Loaded != 1 || res.Skipped != 1 || res.Rejected != 0 || res.SkipReasons["block LNF not taken (no scale_score)"] != 1 {
		t.Errorf("loaded %d skipped %d rejected %d %v %v", res.Loaded, res.Skipped, res.Rejected, res.SkipReasons, res.Rejects)
	}
}
