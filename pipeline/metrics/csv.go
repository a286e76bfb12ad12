package metrics

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/hitreflect/hitreflect/queries"
)

// WriteCSV writes tables into one CSV for spreadsheet users: family,
// period, dimensions, figures, n and why a row is withheld; a table's note
// follows its rows.
func WriteCSV(w io.Writer, tables []*Table) error {
	out := csv.NewWriter(w)
	for i, t := range tables {
		if i > 0 {
			_ = out.Write(nil)
		}
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
	}
	out.Flush()
	return out.Error()
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
