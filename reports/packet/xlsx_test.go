package packet

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hitreflect/hitreflect/queries"
)

// checkWorkbook reads a packet's tables.xlsx and checks it against the
// packet's CSV tables, read separately: a sheet per chart in the chart's
// order after About, the header frozen, every figure the CSV's (numbers as
// numbers, shares formatted as percentages), every withheld cell marked.
func checkWorkbook(t *testing.T, p *Packet) {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(p.Dir, "tables.xlsx"))
	if err != nil {
		t.Fatalf("%s: %v", p.Audience, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1+len(p.Charts) || sheets[0] != "About" {
		t.Fatalf("%s: sheets %v, want About and one per chart %v", p.Audience, sheets, p.Charts)
	}
	var shares, withheld int
	for i, chart := range p.Charts {
		sheet := sheets[1+i]
		if !strings.HasPrefix(chart, sheet) && len(sheet) != 31 {
			t.Errorf("%s: sheet %q for chart %s", p.Audience, sheet, chart)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 {
			t.Errorf("%s %s: panes %+v (%v), want the header row frozen", p.Audience, sheet, panes, err)
		}
		want := readCSVTable(t, filepath.Join(p.Dir, "tables", chart+".csv"))
		got, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		shown, err := f.GetRows(sheet) // as formatted: dates as written
		if err != nil {
			t.Fatal(err)
		}
		// CSV: family, period, columns..., n, withheld; sheet: columns..., n, withheld because
		head := want[0][2:]
		if len(got) != len(want) || len(got[0]) != len(head) {
			t.Fatalf("%s %s: %d rows x %d columns, the CSV %d x %d", p.Audience, sheet, len(got), len(got[0]), len(want), len(head))
		}
		for j, c := range head[:len(head)-1] {
			if got[0][j] != strings.ReplaceAll(c, "_", " ") {
				t.Errorf("%s %s: header %d is %q, the CSV's %q", p.Audience, sheet, j+1, got[0][j], c)
			}
		}
		for r := 1; r < len(want); r++ {
			reason := want[r][len(want[r])-1]
			for j, csvValue := range want[r][2:] {
				col := head[j]
				cell, _ := excelize.CoordinatesToCellName(j+1, r+1)
				var v string
				if j < len(got[r]) {
					v = got[r][j]
				}
				typ, _ := f.GetCellType(sheet, cell)
				switch x, isNum := strconv.ParseFloat(csvValue, 64); {
				case csvValue == "" && reason != "" && j < len(head)-1 && v == "withheld":
					withheld++
					if !markedGrey(t, f, sheet, cell) {
						t.Errorf("%s %s!%s: withheld, but not shaded", p.Audience, sheet, cell)
					}
				case isDate.MatchString(csvValue):
					if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber || shown[r][j] != csvValue {
						t.Errorf("%s %s!%s (%s): %q shown as %q (type %v), want the date %s", p.Audience, sheet, cell, col, v, shown[r][j], typ, csvValue)
					}
				case j == len(head)-1 || csvValue == "" || isNum != nil || slices.Contains(queries.Dimensions, col):
					// text, and ids (a school's "107" is a name, not a quantity)
					if v != csvValue {
						t.Errorf("%s %s!%s (%s): %q, the CSV %q", p.Audience, sheet, cell, col, v, csvValue)
					}
				default:
					y, err := strconv.ParseFloat(v, 64)
					if err != nil || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
						t.Errorf("%s %s!%s (%s): %q (type %v), want the number %s", p.Audience, sheet, cell, col, v, typ, csvValue)
						continue
					}
					if math.Abs(x-y) > 1e-5*math.Max(1, math.Abs(x)) {
						t.Errorf("%s %s!%s (%s): %v, the CSV %v", p.Audience, sheet, cell, col, y, x)
					}
					if isShare(col) {
						shares++
						if fmtOf(t, f, sheet, cell) != "0.0%" {
							t.Errorf("%s %s!%s (%s): format %q, want 0.0%%", p.Audience, sheet, cell, col, fmtOf(t, f, sheet, cell))
						}
					}
				}
			}
		}
	}
	if p.Audience.Kind == "district" && (shares == 0 || withheld == 0) {
		t.Errorf("district workbook: %d share cells, %d withheld cells; the test checks neither", shares, withheld)
	}
}

var isDate = regexp.MustCompile(`^\d{4}-\d\d-\d\d$`)

// readCSVTable reads a packet table's CSV without its note line.
func readCSVTable(t *testing.T, path string) [][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out [][]string
	for _, rec := range recs {
		if len(rec) >= 3 && strings.HasPrefix(rec[2], "note: ") {
			continue
		}
		out = append(out, rec)
	}
	return out
}

func style(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fmtOf(t *testing.T, f *excelize.File, sheet, cell string) string {
	if st := style(t, f, sheet, cell); st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return ""
}

func markedGrey(t *testing.T, f *excelize.File, sheet, cell string) bool {
	st := style(t, f, sheet, cell)
	return len(st.Fill.Color) > 0 && strings.EqualFold(st.Fill.Color[0], "EEEEEE")
}

// workbookText is every cell of a workbook, for the tests that look for
// names.
func workbookText(t *testing.T, path string) string {
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		b.WriteString(sheet + "\n")
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("%s %s: %v", path, sheet, err)
		}
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return b.String()
}
