package packet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// The workbook: an "About" sheet that says what the packet is and lists
// every table with its chart's title, reading and notes, then one sheet per
// chart's table. A table sheet is only the table (a header row, frozen and
// filtered, then one row per group), so it sorts, filters and pivots as
// data; what a reader must know about it is on the About sheet.
const aboutSheet = "About"

// xlsxStyles are the workbook's cell styles, made once per workbook.
type xlsxStyles struct {
	header, title, label, wrap int
	// cell styles for a group's row and, bold, for a total row
	text, share, decimal, count, date, withheld rowStyle
}

// rowStyle is a cell style for a group's row and its bold twin for a
// total row.
type rowStyle [2]int

func (s rowStyle) of(r metrics.Row) int {
	if r.Total {
		return s[1]
	}
	return s[0]
}

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	var errs []error
	mk := func(st excelize.Style) int {
		id, err := f.NewStyle(&st)
		errs = append(errs, err)
		return id
	}
	row := func(st excelize.Style) rowStyle {
		bold := st
		font := excelize.Font{}
		if st.Font != nil {
			font = *st.Font
		}
		font.Bold = true
		bold.Font = &font
		return rowStyle{mk(st), mk(bold)}
	}
	grey := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEEEEE"}}
	// 0.0% and #,##0 and 0.00 are written as custom formats: Excel's built-in
	// ids have no one-decimal percentage.
	pct, dec, cnt, day := "0.0%", "0.00", "#,##0", "yyyy-mm-dd"
	s.header = mk(excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.title = mk(excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
	s.label = mk(excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top"}})
	s.wrap = mk(excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.text = row(excelize.Style{})
	s.share = row(excelize.Style{CustomNumFmt: &pct})
	s.decimal = row(excelize.Style{CustomNumFmt: &dec})
	s.count = row(excelize.Style{CustomNumFmt: &cnt})
	s.date = row(excelize.Style{CustomNumFmt: &day})
	s.withheld = row(excelize.Style{Font: &excelize.Font{Italic: true, Color: "666666"}, Fill: grey})
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("workbook styles: %w", err)
	}
	return s, nil
}

// withheldMark is what a withheld cell says: a word, so that no one reads
// an empty cell as zero, and text, so that sums skip it.
const withheldMark = "withheld"

// writeWorkbook writes tables.xlsx: the About sheet, then each drawn
// chart's table on a sheet named after the chart.
func writeWorkbook(cov cover, ds []drawn) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	// Fixed dates and author, so the same packet gives the same bytes.
	stamp := cov.Made.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "hitreflect", Title: "Reflection packet tables: " + cov.Audience,
		Created: stamp, Modified: stamp}); err != nil {
		return nil, fmt.Errorf("tables.xlsx: %w", err)
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", aboutSheet); err != nil {
		return nil, fmt.Errorf("tables.xlsx: %w", err)
	}
	names := sheetNames(ds)
	if err := writeAbout(f, st, cov, ds, names); err != nil {
		return nil, fmt.Errorf("tables.xlsx: About sheet: %w", err)
	}
	for i, d := range ds {
		if d.chart.Data == nil {
			continue
		}
		if _, err := f.NewSheet(names[i]); err != nil {
			return nil, fmt.Errorf("tables.xlsx: sheet %s: %w", names[i], err)
		}
		if err := writeTableSheet(f, st, names[i], fmt.Sprintf("table%d_%s", i+1, strings.NewReplacer("-", "_", " ", "_").Replace(names[i])), d.chart.Data); err != nil {
			return nil, fmt.Errorf("tables.xlsx: sheet %s: %w", names[i], err)
		}
	}
	// About, the first sheet, is the one that opens (excelize's default;
	// SetActiveSheet would re-read every streamed sheet to say so again).
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write tables.xlsx: %w", err)
	}
	sorted, err := sortZip(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("write tables.xlsx: %w", err)
	}
	return sorted, nil
}

// sortZip rewrites a zip archive with its entries in name order: excelize
// writes the sheets in the order of a map, so the same workbook would come
// out in different bytes. The entries are copied as compressed.
func sortZip(b []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range files {
		raw, err := f.OpenRaw()
		if err != nil {
			return nil, err
		}
		w, err := zw.CreateRaw(&f.FileHeader)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(w, raw); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// sheetNames gives each chart's table a sheet name: the chart's file name,
// cut to Excel's 31 characters and made unique.
func sheetNames(ds []drawn) []string {
	out := make([]string, len(ds))
	seen := map[string]bool{strings.ToLower(aboutSheet): true}
	for i, d := range ds {
		base := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`[]:*?/\'`, r) {
				return '-'
			}
			return r
		}, d.chart.Name)
		name := cutRunes(base, 31)
		for k := 2; seen[strings.ToLower(name)]; k++ {
			suffix := fmt.Sprintf("~%d", k)
			name = cutRunes(base, 31-len(suffix)) + suffix
		}
		seen[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func writeAbout(f *excelize.File, st xlsxStyles, cov cover, ds []drawn, names []string) error {
	sw, err := f.NewStreamWriter(aboutSheet)
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(1, 1, 34)
	_ = sw.SetColWidth(2, 2, 48)
	_ = sw.SetColWidth(3, 3, 70)
	_ = sw.SetColWidth(4, 4, 70)
	row := 1
	put := func(values ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, values)
	}
	txt := func(s string, style int) excelize.Cell {
		return excelize.Cell{Value: excelsafe.Text(s), StyleID: style}
	}
	lines := []error{
		put(txt("Reflection packet tables", st.title)),
		put(txt("District", st.label), txt(cov.District, st.text[0])),
		put(txt("Audience", st.label), txt(cov.Audience, st.text[0])),
		put(txt("Period", st.label), txt(cov.Period, st.text[0])),
		put(txt("Made", st.label), txt(cov.Made.Format("2 January 2006"), st.text[0])),
		put(txt("Data as of", st.label), txt(cov.asOf()+" (the newest file loaded)", st.text[0])),
		put(txt("Withheld cells", st.label), txt("A cell that says \"withheld\" (grey) is not shown because too few students are behind it; its row's reason column says why.", st.wrap)),
		put(),
		put(txt("Sheet", st.header), txt("Chart", st.header), txt("What it shows", st.header), txt("Notes", st.header)),
	}
	for _, err := range lines {
		if err != nil {
			return err
		}
	}
	for i, d := range ds {
		if d.chart.Data == nil {
			continue
		}
		var notes []string
		if d.chart.N != "" {
			notes = append(notes, d.chart.N)
		}
		notes = append(notes, d.chart.Notes...)
		if d.chart.TableNote != "" {
			notes = append(notes, d.chart.TableNote)
		}
		if err := put(txt(names[i], st.text[0]), txt(d.chart.Title, st.wrap), txt(d.chart.Reading, st.wrap), txt(strings.Join(notes, "\n"), st.wrap)); err != nil {
			return err
		}
	}
	if len(cov.Skipped) > 0 {
		if err := put(); err != nil {
			return err
		}
		if err := put(txt("Not in this packet", st.label)); err != nil {
			return err
		}
		for _, s := range cov.Skipped {
			if err := put(txt(s, st.wrap)); err != nil {
				return err
			}
		}
	}
	return sw.Flush()
}

// writeTableSheet writes one table: its columns, then n and the reason a
// row is withheld. Shares are percentages, counts whole numbers, other
// figures two decimals; the cells keep ten significant digits.
func writeTableSheet(f *excelize.File, st xlsxStyles, sheet, tableName string, t *metrics.Table) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head := make([]any, 0, len(t.Columns)+2)
	widths := make([]int, 0, len(t.Columns)+2)
	for _, c := range t.Columns {
		label := strings.ReplaceAll(c, "_", " ")
		head = append(head, excelize.Cell{Value: label, StyleID: st.header})
		widths = append(widths, len(label))
	}
	head = append(head, excelize.Cell{Value: "n", StyleID: st.header}, excelize.Cell{Value: "withheld because", StyleID: st.header})
	widths = append(widths, 8, 16)
	rows := make([][]any, 0, len(t.Rows))
	for _, r := range t.Rows {
		rec := make([]any, 0, len(head))
		for j, v := range r.Values {
			cell := tableCell(st, t, t.Columns[j], v, r)
			rec = append(rec, cell)
			widths[j] = max(widths[j], cellWidth(cell.Value))
		}
		n := excelize.Cell{Value: r.N, StyleID: st.count.of(r)}
		if r.Suppressed != "" {
			// a withheld row's n is itself a small count
			n = excelize.Cell{Value: withheldMark, StyleID: st.withheld.of(r)}
		}
		rec = append(rec, n, excelize.Cell{Value: r.Suppressed, StyleID: st.text.of(r)})
		widths[len(widths)-1] = max(widths[len(widths)-1], len(r.Suppressed))
		rows = append(rows, rec)
	}
	// Widths and panes go before the rows in a stream.
	for i, w := range widths {
		_ = sw.SetColWidth(i+1, i+1, float64(min(max(w, 6), 60))+2)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: 32}); err != nil {
		return err
	}
	for i, rec := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, rec); err != nil {
			return err
		}
	}
	// An Excel table over the rows gives the header its filters and lets
	// a formula refer to a column by name (f.AutoFilter would re-read the
	// whole sheet to do less).
	last, _ := excelize.CoordinatesToCellName(len(head), len(rows)+1)
	noStripes := false
	if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: tableName, StyleName: "TableStyleLight1", ShowRowStripes: &noStripes}); err != nil {
		return err
	}
	return sw.Flush()
}

// tableCell is one value as a typed, formatted cell.
func tableCell(st xlsxStyles, t *metrics.Table, col string, v any, r metrics.Row) excelize.Cell {
	dim := t.IsDimension(col)
	if v == nil {
		switch {
		case dim && r.Total:
			return excelize.Cell{Value: "all", StyleID: st.text.of(r)}
		case !dim && r.Suppressed != "":
			return excelize.Cell{Value: withheldMark, StyleID: st.withheld.of(r)}
		}
		return excelize.Cell{StyleID: st.text.of(r)}
	}
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return excelize.Cell{StyleID: st.text.of(r)}
		}
		// Already ten significant digits: the packet's tables are steady()
		// copies, so the same data give the same file.
		if isShare(col) {
			return excelize.Cell{Value: x, StyleID: st.share.of(r)}
		}
		return excelize.Cell{Value: x, StyleID: st.decimal.of(r)}
	case int64, int32, int:
		if dim {
			// an id or a week number, not a quantity: no thousands separator
			return excelize.Cell{Value: x, StyleID: st.text.of(r)}
		}
		return excelize.Cell{Value: x, StyleID: st.count.of(r)}
	case time.Time:
		return excelize.Cell{Value: x, StyleID: st.date.of(r)}
	case bool:
		return excelize.Cell{Value: map[bool]string{true: "yes", false: "no"}[x], StyleID: st.text.of(r)}
	case string:
		// names come from the config and the files: none may run as a formula
		return excelize.Cell{Value: excelsafe.Text(x), StyleID: st.text.of(r)}
	}
	return excelize.Cell{Value: excelsafe.Text(fmt.Sprint(v)), StyleID: st.text.of(r)}
}

// cellWidth is about how many characters a cell shows.
func cellWidth(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return utf8.RuneCountInString(x)
	case float64:
		return 8
	case time.Time:
		return 10
	}
	return len(fmt.Sprint(v))
}
