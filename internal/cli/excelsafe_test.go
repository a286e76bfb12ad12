package cli

import (
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
)

// A provider whose id and name and a school whose name look like formulas
// (CSV injection, OWASP): after a whole run, no cell of any CSV under the
// output folder would run as a formula in a spreadsheet, and every CSV file
// starts with the byte-order mark Excel needs to read UTF-8; no cell of a
// packet's workbook is a formula or would run as one.
func TestEveryCSVIsExcelSafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, out, errOut := run(t, "demo", "--out", dir, "--students", "300", "--seed", "4"); code != ExitOK {
		t.Fatalf("demo: %d\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for old, formula := range map[string]string{
		"name: TutorCorps": `name: '=HYPERLINK("http://example.com","TutorCorps")'`,
		// the district's name starts every workbook's About sheet
		"district: Riverside Unified (synthetic)": `district: "@SUM(1+1)*cmd|' /C calc'!A0"`,
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("the demo config has no %q", old)
		}
		text = strings.ReplaceAll(text, old, formula)
	}
	// the first school's name becomes a command
	firstSchool := regexp.MustCompile(`(?m)^  - \{id: "([^"]+)", name: "[^"]*"\}`)
	text = firstSchool.ReplaceAllString(text, `  - {id: "$1", name: "+cmd|' /C calc'!A0"}`)
	// A provider's file: one session dated with a formula (a reject, whose
	// value goes into the rejects CSV), one at a school whose code is one.
	plant(t, filepath.Join(dir, "landing", "brightpath"), map[int]map[int]string{
		1: {3: `=HYPERLINK("http://example.com","open me")`},
		2: {2: "-2+3+cmd|' /C calc'!A0"},
	})
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HITREFLECT_PSEUDONYM_KEY", "a test key, not a secret, at least 32 bytes long")
	if code, out, errOut := run(t, "run", "--config", cfg, "--force"); code != ExitOK {
		t.Fatalf("run: %d\n%s%s", code, out, errOut)
	}
	rejectsCSV := filepath.Join(dir, "out", "rejects.csv")
	if code, out, errOut := run(t, "rejects", "--config", cfg, "--out", rejectsCSV); code != ExitOK {
		t.Fatalf("rejects --out: %d\n%s%s", code, out, errOut)
	}
	metricsDir := filepath.Join(dir, "out", "metrics-by-provider")
	if code, out, errOut := run(t, "metrics", "--config", cfg, "--by", "provider", "--format", "csv", "--out", metricsDir); code != ExitOK {
		t.Fatalf("metrics --out: %d\n%s%s", code, out, errOut)
	}

	var files, cells, neutralised int
	sawFormula := false
	err = filepath.WalkDir(filepath.Join(dir, "out"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".csv") {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		body, ok := strings.CutPrefix(string(b), excelsafe.BOM)
		if !ok {
			t.Errorf("%s does not start with a byte-order mark", path)
		}
		r := csv.NewReader(strings.NewReader(body))
		r.FieldsPerRecord = -1
		records, err := r.ReadAll()
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		for i, rec := range records {
			for j, c := range rec {
				cells++
				if runsAsFormula(c) {
					t.Errorf("%s line %d column %d: %q would run as a formula", path, i+1, j+1, c)
				}
				if strings.HasPrefix(c, "'=HYPERLINK") || strings.HasPrefix(c, "'-2+3+cmd") {
					sawFormula = true
				}
				if strings.HasPrefix(c, "'") {
					neutralised++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 || cells == 0 {
		t.Fatalf("only %d CSV files, %d cells under the output folder", files, cells)
	}
	if !sawFormula {
		t.Errorf("no CSV shows a planted formula (neutralised): the test would not see one")
	}
	t.Logf("%d CSV files, %d cells, %d neutralised", files, cells, neutralised)

	// The same in every workbook: no cell is a formula, and no text cell
	// would become one when typed back or exported to CSV.
	var books, bookCells int
	sawName := false
	err = filepath.WalkDir(filepath.Join(dir, "out"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".xlsx") {
			return err
		}
		books++
		f, err := excelize.OpenFile(path)
		if err != nil {
			return err
		}
		defer f.Close()
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				return err
			}
			for i, row := range rows {
				for j, c := range row {
					bookCells++
					ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
					if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
						t.Errorf("%s %s!%s holds the formula %q", path, sheet, ref, formula)
					}
					if runsAsFormula(c) {
						t.Errorf("%s %s!%s: %q would run as a formula", path, sheet, ref, c)
					}
					if strings.HasPrefix(c, "'@SUM(1+1)") {
						sawName = true
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if books < 3 || bookCells == 0 {
		t.Fatalf("only %d workbooks, %d cells under the output folder", books, bookCells)
	}
	if !sawName {
		t.Errorf("no workbook shows a planted name (neutralised): the test would not see one")
	}
	t.Logf("%d workbooks, %d cells", books, bookCells)
	// Standard output stays plain UTF-8 (for programs), still neutralised.
	code, out, _ := run(t, "rejects", "--config", cfg)
	if code != ExitOK || strings.HasPrefix(out, excelsafe.BOM) || !strings.Contains(out, `'=HYPERLINK(`) {
		t.Errorf("rejects on standard output: exit %d, want no BOM and the planted value neutralised:\n%s", code, out)
	}
}

// runsAsFormula says whether a spreadsheet would read a cell as a formula:
// it starts with =, +, -, @, a tab or a carriage return and is not a number
// (worked out here, not with the code under test).
func runsAsFormula(c string) bool {
	if c == "" || !strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return false
	}
	_, err := strconv.ParseFloat(c, 64)
	return err != nil
}

// plant rewrites the first file of a landing folder with the given fields
// (data row -> column -> value) replaced.
func plant(t *testing.T, folder string, fields map[int]map[int]string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(folder, "*.csv"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no CSV in %s (%v)", folder, err)
	}
	f, err := os.Open(names[0])
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // the demo plants short rows too
	records, err := r.ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for row, cols := range fields {
		for col, v := range cols {
			records[row][col] = v
		}
	}
	var buf strings.Builder
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(names[0], []byte(buf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}
