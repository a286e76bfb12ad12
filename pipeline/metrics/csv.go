package metrics

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
	"github.com/hitreflect/hitreflect/queries"
)

// WriteCSV writes one table as CSV for programs (standard output): family,
// period, dimensions, figures, n and why a row is withheld; the table's
// note follows its rows. Text that a spreadsheet would run as a formula is
// neutralised (excelsafe).
func WriteCSV(w io.Writer, t *Table) error { return writeCSV(excelsafe.NewCSV(w), t) }

// WriteCSVFile writes one table as a CSV file for a spreadsheet: as
// WriteCSV, starting with the byte-order mark Excel needs to read UTF-8.
func WriteCSVFile(w io.Writer, t *Table) error { return writeCSV(excelsafe.NewFileCSV(w), t) }

// SaveCSV writes one table to a CSV file for a spreadsheet at path, as
// WriteCSVFile does, whole or not at all (excelsafe.WriteFile).
func SaveCSV(path string, t *Table) error {
	return excelsafe.WriteFile(path, func(c *excelsafe.CSV) error { return writeCSV(c, t) })
}

func writeCSV(out *excelsafe.CSV, t *Table) error {
	_ = out.Write(append(append([]string{"family", "period"}, t.Columns...), "n", "withheld"))
	for _, row := range t.Rows {
		rec := []string{t.Family, t.Period}
		for j, v := range row.Values {
			rec = append(rec, CSVValue(t.Columns[j], v, row.Total))
		}
		n := fmt.Sprint(row.N)
		if row.Suppressed != "" {
			n = "" // a withheld row's n is itself a small count
		}
		rec = append(rec, n, row.Suppressed)
		_ = out.Write(rec)
	}
	if t.Note != "" {
		_ = out.Write([]string{t.Family, t.Period, "note: " + t.Note})
	}
	return out.Flush()
}

// CSVValue writes one value for a CSV: full precision, dates as
// YYYY-MM-DD, "all" for a total row's dimensions.
func CSVValue(column string, v any, total bool) string {
	switch x := v.(type) {
	case nil:
		if total && contains(queries.Dimensions, column) {
			return "all"
		}
		return ""
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return fmt.Sprintf("%.6g", x)
	case time.Time:
		return x.Format("2006-01-02")
	case bool:
		if x {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprint(v)
}
