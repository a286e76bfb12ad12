package packet

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// index.html: self-contained, the charts as PNG data: URIs, the style
// inline, no fonts, scripts or images from anywhere else; large type for a
// projector.
var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{.Cover.District}} — {{.Cover.Audience}} — {{.Cover.Period}}</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 22px; line-height: 1.4; color: #111; background: #fff; margin: 0 auto; max-width: 1960px; padding: 24px 32px; }
h1 { font-size: 44px; margin: 0 0 8px; }
h2 { font-size: 34px; margin: 56px 0 8px; border-top: 4px solid #ddd; padding-top: 24px; }
.meta { color: #444; font-size: 24px; }
.reading { font-size: 28px; margin: 8px 0 16px; }
img { width: 100%; height: auto; display: block; border: 1px solid #ddd; }
.n, .notes { color: #444; font-size: 22px; }
.notes li { margin: 4px 0; }
table { border-collapse: collapse; margin: 16px 0; font-size: 20px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #bbb; padding: 6px 12px; text-align: right; }
th { background: #eee; }
td.dim, th.dim { text-align: left; }
tr.total td { font-weight: bold; }
td.withheld { color: #666; font-style: italic; }
details summary { cursor: pointer; font-size: 22px; color: #333; }
.prompts { display: flex; gap: 16px; margin-top: 16px; }
.prompts div { flex: 1; border: 2px solid #bbb; padding: 12px; min-height: 120px; font-weight: bold; }
</style>
</head>
<body>
<header>
<h1>{{.Cover.District}}: reflection packet</h1>
<p class="meta">{{.Cover.Audience}} · {{.Cover.Period}} · made {{.Made}} · data as of {{.AsOf}}</p>
<ol>{{range .Charts}}<li><a href="#{{.Name}}">{{.Title}}</a></li>{{end}}</ol>
{{if .Cover.Skipped}}<p class="meta">Not in this packet:</p><ul class="notes">{{range .Cover.Skipped}}<li>{{.}}</li>{{end}}</ul>{{end}}
</header>
{{range .Charts}}
<section id="{{.Name}}">
<h2>{{.Title}}</h2>
<p class="reading">{{.Reading}}</p>
<img src="{{.Image}}" alt="{{.Title}}" width="1920" height="1080">
<p class="n">{{.N}}</p>
{{if .Notes}}<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<div class="prompts"><div>What do we notice?</div><div>What do we wonder?</div><div>What will we do next, who, by when?</div></div>
<details open><summary>The numbers behind the chart</summary>
<table>
<thead><tr>{{range .Header}}<th class="{{.Class}}">{{.Text}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr{{if .Total}} class="total"{{end}}>{{range .Cells}}<td class="{{.Class}}">{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</details>
</section>
{{end}}
</body>
</html>
`))

type htmlCell struct{ Text, Class string }

type htmlRow struct {
	Total bool
	Cells []htmlCell
}

type htmlChart struct {
	Name, Title, Reading, N string
	Notes                   []string
	Image                   template.URL
	Header                  []htmlCell
	Rows                    []htmlRow
}

func writeHTML(cov cover, ds []drawn) []byte {
	data := struct {
		Cover  cover
		Made   string
		AsOf   string
		Charts []htmlChart
	}{Cover: cov, Made: cov.Made.Format("2 January 2006"), AsOf: cov.asOf()}
	for _, d := range ds {
		c := d.chart
		hc := htmlChart{Name: c.Name, Title: c.Title, Reading: c.Reading, N: c.N,
			// The SVG: a tenth of the PNG's size, and sharp at any zoom.
			Image: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(d.svg))}
		hc.Notes = append(hc.Notes, c.Notes...)
		if c.TableNote != "" {
			hc.Notes = append(hc.Notes, c.TableNote)
		}
		hc.Header, hc.Rows = htmlTable(c.Data)
		data.Charts = append(data.Charts, hc)
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, data); err != nil {
		// The template is fixed and its data plain values: a failure is a bug.
		panic(err)
	}
	return buf.Bytes()
}

// htmlTable is a table's header and rows as text for a reader: shares as
// percentages, figures to one decimal, withheld figures marked.
func htmlTable(t *metrics.Table) ([]htmlCell, []htmlRow) {
	if t == nil {
		return nil, nil
	}
	var head []htmlCell
	for _, c := range t.Columns {
		head = append(head, htmlCell{Text: strings.ReplaceAll(c, "_", " "), Class: dimClass(t, c)})
	}
	if t.NColumn != "" {
		head = append(head, htmlCell{Text: "n"})
	}
	var rows []htmlRow
	for _, r := range t.Rows {
		hr := htmlRow{Total: r.Total}
		for j, v := range r.Values {
			col := t.Columns[j]
			cell := htmlCell{Text: human(col, v, r.Total, t.IsDimension(col)), Class: dimClass(t, col)}
			if t.IsDimension(col) {
				// names come from the config and the files: an HTML table
				// pasted or opened in Excel must not run one as a formula
				cell.Text = excelsafe.Text(cell.Text)
			}
			if r.Suppressed != "" && !t.IsDimension(col) && v == nil {
				cell = htmlCell{Text: "withheld", Class: "withheld"}
			}
			hr.Cells = append(hr.Cells, cell)
		}
		if t.NColumn != "" {
			n := htmlCell{Text: fmt.Sprint(r.N)}
			if r.Suppressed != "" {
				n = htmlCell{Text: "withheld: " + r.Suppressed, Class: "withheld"}
			}
			hr.Cells = append(hr.Cells, n)
		}
		rows = append(rows, hr)
	}
	return head, rows
}

func dimClass(t *metrics.Table, c string) string {
	if t.IsDimension(c) {
		return "dim"
	}
	return ""
}

// human formats one value for a reader.
func human(column string, v any, total, dim bool) string {
	if v == nil {
		if total && dim {
			return "all"
		}
		return "–"
	}
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "–"
		}
		if isShare(column) {
			return fmt.Sprintf("%.1f%%", 100*x)
		}
		return fmt.Sprintf("%.2f", x)
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

func isShare(c string) bool {
	return strings.HasSuffix(c, "_rate") || strings.HasPrefix(c, "share_") || c == "tutor_consistency" || c == "coverage" || c == "targeting"
}
