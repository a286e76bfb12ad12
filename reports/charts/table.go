package charts

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// ErrNoFigures says a table holds nothing a chart could show: no rows, or
// no figure in the column the chart draws (share meeting the target with no
// dosage target in the config). A report skips the chart and says why; the
// error's text gives the reason.
var ErrNoFigures = errors.New("nothing to chart")

// ColumnError is a table that lacks a column a chart reads: usually a table
// of the wrong family, or cut another way than the chart needs.
type ColumnError struct {
	Chart   string   // the chart being built
	Family  string   // the family the chart reads
	Missing []string // the columns it lacks
	Columns []string // the columns it has
	Cut     string   // the cut the chart needs, as --by takes it
}

func (e *ColumnError) Error() string {
	quoted := make([]string, len(e.Missing))
	for i, c := range e.Missing {
		quoted[i] = strconv.Quote(c)
	}
	word := "column"
	if len(e.Missing) > 1 {
		word = "columns"
	}
	msg := fmt.Sprintf("%s: the %s table has no %s %s (it has %s)", e.Chart, e.Family, word,
		strings.Join(quoted, ", "), strings.Join(e.Columns, ", "))
	if e.Cut != "" {
		msg += fmt.Sprintf("; the chart needs hitreflect metrics --family %s --by %s", e.Family, e.Cut)
	}
	return msg
}

// CutError is a table cut by more dimensions than a chart draws: its rows
// would repeat the chart's categories.
type CutError struct {
	Chart, Family string
	Extra         []string // dimensions the chart does not draw
	Cut           string   // the cut the chart needs
}

func (e *CutError) Error() string {
	return fmt.Sprintf("%s: the %s table is also cut by %s; the chart needs --by %s only",
		e.Chart, e.Family, strings.Join(e.Extra, ", "), e.Cut)
}

// view reads a metrics table by column name.
type view struct {
	t     *metrics.Table
	chart string
	col   map[string]int
}

// read checks that t is the family's table, has the columns need and no
// dimension other than those of cut, and that every row has a value per
// column.
func read(t *metrics.Table, chart, family string, cut []string, need ...string) (*view, error) {
	if t == nil {
		return nil, fmt.Errorf("%s: no %s table", chart, family)
	}
	if t.Family != "" && t.Family != family {
		return nil, fmt.Errorf("%s: needs the %s table, got the %s table", chart, family, t.Family)
	}
	v := &view{t: t, chart: chart, col: make(map[string]int, len(t.Columns))}
	for i, c := range t.Columns {
		if _, dup := v.col[c]; dup {
			return nil, fmt.Errorf("%s: the %s table has two columns %q", chart, family, c)
		}
		v.col[c] = i
	}
	var missing []string
	for _, c := range append(slices.Clone(cut), need...) {
		if _, ok := v.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, &ColumnError{Chart: chart, Family: family, Missing: missing, Columns: t.Columns, Cut: strings.Join(cut, ",")}
	}
	var extra []string
	for _, c := range t.Columns {
		if t.IsDimension(c) && !slices.Contains(cut, c) && !slices.Contains(t.Within, c) {
			extra = append(extra, c)
		}
	}
	if len(extra) > 0 {
		return nil, &CutError{Chart: chart, Family: family, Extra: extra, Cut: strings.Join(cut, ",")}
	}
	for i, row := range t.Rows {
		if len(row.Values) != len(t.Columns) {
			return nil, fmt.Errorf("%s: row %d of the %s table has %d values for %d columns", chart, i+1, family, len(row.Values), len(t.Columns))
		}
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("%s: the %s table has no rows: %w", chart, family, ErrNoFigures)
	}
	return v, nil
}

// num is a figure of a row, and whether it has one. NaN and infinities
// count as no figure.
func (v *view) num(row metrics.Row, column string) (float64, bool) {
	return number(row.Values[v.col[column]])
}

// str is a dimension's value as text ("" for none).
func (v *view) str(row metrics.Row, column string) string {
	switch x := row.Values[v.col[column]].(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format("2006-01-02")
	case bool:
		if x {
			return "yes"
		}
		return "no"
	default:
		return fmt.Sprint(x)
	}
}

// week is a row's week: the Monday it starts, from a date or its text.
func (v *view) week(row metrics.Row, column string) (time.Time, bool) {
	switch x := row.Values[v.col[column]].(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		for _, layout := range []string{"2006-01-02", time.RFC3339} {
			if d, err := time.Parse(layout, x); err == nil {
				return d.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// total is the table's total row, if it has one.
func (v *view) total() (metrics.Row, bool) {
	for _, r := range v.t.Rows {
		if r.Total {
			return r, true
		}
	}
	return metrics.Row{}, false
}

// groups are the rows that are not the total.
func (v *view) groups() []metrics.Row {
	var out []metrics.Row
	for _, r := range v.t.Rows {
		if !r.Total {
			out = append(out, r)
		}
	}
	return out
}

// subset copies the table with only the given columns, for the numbers
// behind a chart.
func (v *view) subset(columns ...string) *metrics.Table {
	return v.subsetRows(nil, columns...)
}

// subsetRows is subset with only the rows keep accepts (all when nil).
func (v *view) subsetRows(keep func(metrics.Row) bool, columns ...string) *metrics.Table {
	out := *v.t
	out.Columns = nil
	var idx []int
	for _, c := range columns {
		if i, ok := v.col[c]; ok {
			out.Columns = append(out.Columns, c)
			idx = append(idx, i)
		}
	}
	out.By = slices.Clone(v.t.By)
	out.Within = slices.Clone(v.t.Within)
	out.Rows = nil
	for _, row := range v.t.Rows {
		if keep != nil && !keep(row) {
			continue
		}
		vals := make([]any, len(idx))
		for j, i := range idx {
			vals[j] = row.Values[i]
		}
		out.Rows = append(out.Rows, metrics.Row{Values: vals, N: row.N, Total: row.Total, Suppressed: row.Suppressed})
	}
	return &out
}

func number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case int:
		f = float64(x)
	case int16:
		f = float64(x)
	case int8:
		f = float64(x)
	case uint64:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint:
		f = float64(x)
	case *big.Int:
		if x == nil {
			return 0, false
		}
		f, _ = new(big.Float).SetInt(x).Float64()
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
