package ingest

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// A workbook written with the XLSX library, a merged title row above the
// header, real date cells (and one Excel day number), loads like its CSV
// twin, row for row.
func TestWorkbookLoadsLikeItsCSVTwin(t *testing.T) {
	t.Parallel()
	wb := excelize.NewFile()
	defer wb.Close()
	sheet := "Sessions"
	wb.SetSheetName("Sheet1", sheet)
	// Title row, merged across the columns, as exports from reporting tools have.
	wb.SetCellValue(sheet, "A1", "Acme Tutoring: sessions, September 2025")
	if err := wb.MergeCell(sheet, "A1", "F1"); err != nil {
		t.Fatal(err)
	}
	headers := []any{"session_id", "student_id", "session_date", "duration_minutes", "status", "subject"}
	wb.SetSheetRow(sheet, "A3", &headers)
	dateStyle, _ := wb.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yy, Excel's short date
	rows := [][]any{
		{"S1", "000123", time.Date(2025, 9, 3, 0, 0, 0, 0, time.UTC), 45, "attended", "math"},
		{"S2", "000124", time.Date(2025, 9, 4, 0, 0, 0, 0, time.UTC), "0:30", "student_absent", "ela"},
		{"S3", "000125", 45904, 30, "cancelled", "math"}, // a day number without a date style
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, 4+i)
		wb.SetSheetRow(sheet, cell, &r)
		if _, ok := r[2].(time.Time); ok {
			dc, _ := excelize.CoordinatesToCellName(3, 4+i)
			wb.SetCellStyle(sheet, dc, dc, dateStyle)
		}
	}
	path := filepath.Join(t.TempDir(), "acme.xlsx")
	if err := wb.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	twin := write(t, "acme.csv", "session_id,student_id,session_date,duration_minutes,status,subject\n"+
		"S1,000123,2025-09-03,45,attended,math\nS2,000124,2025-09-04,30,student_absent,ela\nS3,000125,2025-09-04,30,cancelled,math\n")

	compare := `SELECT session_key, student_id, CAST(session_date AS VARCHAR), duration_minutes, status, subject FROM sessions ORDER BY 1`
	fx, fc := newFixture(t, ""), newFixture(t, "")
	rx, rc := fx.load("acme", path), fc.load("acme", twin)
	if rc.Loaded != 3 {
		t.Fatalf("the CSV twin loaded %d rows", rc.Loaded)
	}
	if rx.Status != StatusLoaded || rx.Loaded != 3 || rx.Rejected != 0 || rx.Header != 3 {
		t.Fatalf("workbook: %s, loaded %d, rejected %d %v, header on row %d", rx.Status, rx.Loaded, rx.Rejected, rx.Rejects, rx.Header)
	}
	if got, want := fx.query(compare), fc.query(compare); !slices.Equal(got, want) {
		t.Errorf("workbook rows differ from the CSV twin:\n got %q\nwant %q", got, want)
	}
	// A reject in a workbook names the sheet's row.
	wb.SetCellValue(sheet, "C5", "13/45/2025")
	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	wb.SaveAs(bad)
	rb := newFixture(t, "").load("acme", bad)
	if rb.Rejected != 1 || rb.Rejects[0].Line != 5 || rb.Rejects[0].Column != "session_date" {
		t.Errorf("bad workbook: rejected %d %+v, want row 5, column session_date", rb.Rejected, rb.Rejects)
	}
}

// A workbook saved by a spreadsheet program, where one is installed.
func TestWorkbookFromSpreadsheetProgram(t *testing.T) {
	t.Parallel()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("no spreadsheet program (LibreOffice's soffice) on this machine")
	}
	dir := t.TempDir()
	src := write(t, "plain.csv", "session_id,student_id,session_date,duration_minutes,status\nS1,000123,2025-09-03,45,attended\nS2,000124,2025-09-04,30,student_absent\n")
	cmd := exec.Command(soffice, "--headless", "--convert-to", "xlsx", "--outdir", dir, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	f := newFixture(t, "")
	res := f.load("acme", filepath.Join(dir, "plain.xlsx"))
	if res.Loaded != 2 {
		t.Errorf("loaded %d of the spreadsheet program's workbook: %v %s", res.Loaded, res.Rejects, res.Message)
	}
}

// A sheet whose rows reach column XFD (a few bytes each in the file, 16,384
// cells each when read) is rejected once it passes the cell limit, without
// unpacking the rest.
func TestWorkbookBombsAreRejected(t *testing.T) {
	// Not parallel: it lowers the package's cell limit for its run.
	defer func(n int64) { maxSheetCells = n }(maxSheetCells)
	maxSheetCells = 1_000_000
	wb := excelize.NewFile()
	defer wb.Close()
	for r := 1; r <= 70; r++ {
		cell, _ := excelize.CoordinatesToCellName(16384, r)
		wb.SetCellValue("Sheet1", cell, "x")
	}
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	if err := wb.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "")
	res := f.load("acme", path)
	if res.Status != StatusRejected || !strings.Contains(res.Message, `sheet "Sheet1" has more than 1000000 cells`) {
		t.Errorf("%s: %s", res.Status, res.Message)
	}
}
