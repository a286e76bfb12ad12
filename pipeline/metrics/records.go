package metrics

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"time"
)

// WriteRecords writes tables as plain records, one JSON object per row, as
// jq, pandas, R and Power BI read them: family, period, from, to, then the
// table's columns by name (numbers as numbers, dates as YYYY-MM-DD, null for
// no value or a withheld figure), then n (null when withheld), withheld (the
// reason, or null), total and note. As one array, or with lines one record
// per line (JSON Lines).
func WriteRecords(w io.Writer, tables []*Table, lines bool) error {
	var buf bytes.Buffer
	first := true
	if !lines {
		buf.WriteString("[")
	}
	for _, t := range tables {
		for _, row := range t.Rows {
			switch {
			case lines:
			case first:
				buf.WriteString("\n  ")
			default:
				buf.WriteString(",\n  ")
			}
			first = false
			if err := writeRecord(&buf, t, row); err != nil {
				return err
			}
			if lines {
				buf.WriteString("\n")
			}
			if buf.Len() > 1<<16 {
				if _, err := w.Write(buf.Bytes()); err != nil {
					return err
				}
				buf.Reset()
			}
		}
	}
	if !lines {
		if !first {
			buf.WriteString("\n")
		}
		buf.WriteString("]\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeRecord writes one row as a JSON object with its fields in the
// table's order (a Go map would sort them).
func writeRecord(buf *bytes.Buffer, t *Table, row Row) error {
	field := func(name string, v any, comma bool) error {
		if comma {
			buf.WriteString(", ")
		}
		k, _ := json.Marshal(name)
		buf.Write(k)
		buf.WriteString(": ")
		b, err := json.Marshal(recordValue(v))
		if err != nil {
			return err
		}
		buf.Write(b)
		return nil
	}
	buf.WriteString("{")
	_ = field("family", t.Family, false)
	_ = field("period", t.Period, true)
	_ = field("from", t.From, true)
	_ = field("to", t.To, true)
	for j, c := range t.Columns {
		if err := field(c, row.Values[j], true); err != nil {
			return err
		}
	}
	var n, withheld, note any
	if row.Suppressed == "" {
		n = row.N
	} else {
		withheld = row.Suppressed
	}
	if t.Note != "" {
		note = t.Note
	}
	_ = field("n", n, true)
	_ = field("withheld", withheld, true)
	_ = field("total", row.Total, true)
	_ = field("note", note, true)
	buf.WriteString("}")
	return nil
}

// recordValue is a cell as JSON has it: dates as YYYY-MM-DD, no NaN.
func recordValue(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	case time.Time:
		return x.Format("2006-01-02")
	}
	return v
}
