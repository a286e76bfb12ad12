package ingest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

// isWorkbook says whether a file is an Excel workbook, by its name.
func isWorkbook(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return true
	}
	return false
}

// workbookToCSV writes one sheet of an Excel workbook (the named one, else
// the first) as UTF-8 CSV in tempDir, one line per sheet row, so line N of
// the CSV is row N of the sheet and the loader's messages point at the row a
// person sees. Cells come as Excel shows them (dates formatted by the
// cell's style, or the plain day number where a cell has none); the value
// parsers read both.
// Limits on what a workbook may unpack to (zip bombs): its members in all,
// and the cells of the sheet read. Go's XML reader expands no entities
// beyond XML's own five, so entity bombs ("billion laughs") cannot grow.
var (
	maxWorkbookUnzipped int64 = 4 << 30
	maxSheetCells       int64 = 300_000_000
)

func workbookToCSV(path, sheet, tempDir string) (csvPath, sheetRead string, sheetList []string, err error) {
	wb, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxWorkbookUnzipped})
	if err != nil {
		return "", "", nil, &FileError{File: path, Reason: "not a readable Excel workbook: " + err.Error()}
	}
	defer wb.Close()
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		return "", "", nil, &FileError{File: path, Reason: "the workbook has no sheets"}
	}
	if sheet == "" {
		sheet = sheets[0]
	} else if idx, _ := wb.GetSheetIndex(sheet); idx < 0 {
		return "", sheet, sheets, &FileError{File: path, Reason: fmt.Sprintf("the workbook has no sheet %q (sheets: %s)", sheet, strings.Join(sheets, ", "))}
	}
	rows, err := wb.Rows(sheet)
	if err != nil {
		return "", sheet, sheets, &FileError{File: path, Reason: fmt.Sprintf("sheet %q cannot be read: %v", sheet, err)}
	}
	defer rows.Close()
	out, err := os.CreateTemp(tempDir, "hitreflect-sheet-*.csv")
	if err != nil {
		return "", sheet, sheets, fmt.Errorf("convert %s: %w", path, err)
	}
	defer out.Close()
	buf := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(buf)
	n := 0
	var cellCount int64
	for rows.Next() {
		cells, err := rows.Columns()
		if err != nil {
			os.Remove(out.Name())
			return "", sheet, sheets, &FileError{File: path, Reason: fmt.Sprintf("sheet %q, row %d cannot be read: %v", sheet, n+1, err)}
		}
		// The iterator yields every row up to the last, empty ones too, and
		// a row as wide as its last cell: a crafted sheet of rows reaching
		// column XFD would unpack to billions of cells. Stop it.
		if cellCount += int64(len(cells)); cellCount > maxSheetCells {
			os.Remove(out.Name())
			return "", sheet, sheets, &FileError{File: path, Reason: fmt.Sprintf("sheet %q has more than %d cells (rows x columns, up to row %d): not an export hitreflect reads; save the sheet as CSV, or trim its empty columns", sheet, maxSheetCells, n+1)}
		}
		if err := w.Write(cells); err != nil {
			os.Remove(out.Name())
			return "", sheet, sheets, fmt.Errorf("convert %s: %w", path, err)
		}
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		os.Remove(out.Name())
		return "", sheet, sheets, fmt.Errorf("convert %s: %w", path, err)
	}
	if err := buf.Flush(); err != nil {
		os.Remove(out.Name())
		return "", sheet, sheets, fmt.Errorf("convert %s: %w", path, err)
	}
	if n == 0 {
		os.Remove(out.Name())
		return "", sheet, sheets, &FileError{File: path, Reason: fmt.Sprintf("sheet %q is empty", sheet)}
	}
	return out.Name(), sheet, sheets, nil
}
