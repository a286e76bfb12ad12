// Package charts turns metrics tables into the reflection meeting's charts
// with gonum/plot: one constructor per chart, each validating its table
// (columns read by name, the cut it needs) and returning a *Chart with a
// title, a plain-language reading computed from the numbers, the n behind
// it, notes on withheld figures, and the panels to draw.
//
// Withheld figures are drawn as marked gaps (a hatched slot saying
// "withheld"), never as zeros. Providers keep their colour in every chart:
// build Options.Colors once with Palette over every provider of the config.
//
// Charts are drawn for projection: 1920x1080 pixels (1440x810 points at 96
// dpi), titles at 36 pt and every other text at 20 pt or more, in the
// Liberation Sans font that gonum/plot embeds, so the same table always
// gives the same image.
package charts

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The slide: 1440x810 points, which at 96 dpi is 1920x1080 pixels.
const (
	Width  = vg.Length(1440)
	Height = vg.Length(810)
	DPI    = 96
)

// Options are what every chart needs besides its table.
type Options struct {
	// Schools and Providers map ids to the names charts show (the config's
	// schools and providers); an id without a name is shown as it is.
	// Short names read best on an axis.
	Schools   map[string]string
	Providers map[string]string
	// Subjects map subject ids to names; "math" and "ela" are known.
	Subjects map[string]string
	// Colors gives each provider its colour: Palette over every provider
	// of the config. When nil, Palette over the table's own providers is
	// used, and colours may then differ from one chart to the next.
	Colors map[string]color.Color
	// Currency is written before amounts; "$" when empty.
	Currency string
	// Scope names the one school or provider a packet is for, when the
	// rows are theirs but the total row is the whole district's: the n
	// line and sentences then count the rows shown and name the district's
	// figure as the district's. Empty for the district's own charts.
	Scope string
}

func (o *Options) currency() string {
	if o.Currency == "" {
		return "$"
	}
	return o.Currency
}

// providerColor is a provider's colour, or an error naming the provider
// the palette lacks.
func (o *Options) providerColor(chart, id string) (color.Color, error) {
	c, ok := o.Colors[id]
	if !ok || c == nil {
		return nil, fmt.Errorf("%s: no colour for provider %q: build Options.Colors with Palette over every provider of the config", chart, id)
	}
	return c, nil
}

// withColors fills in the palette from the table's providers when the
// caller gave none.
func (o Options) withColors(providers []string) Options {
	if o.Colors == nil {
		o.Colors = Palette(providers)
	}
	return o
}

// Chart is one chart, ready to draw.
type Chart struct {
	// Name is a file name stem for the chart: "attendance-by-school-provider".
	Name string
	// Title says what the chart shows, in plain words.
	Title string
	// Reading is one sentence saying what the numbers show, computed from
	// them.
	Reading string
	// N is the number of students behind the chart: "n = 2,574 students served".
	N string
	// Notes say what is withheld and what else a reader must know; short
	// enough to print under the chart.
	Notes []string
	// TableNote is the metrics table's own note (cuts that do not apply,
	// "observational, not causal"), for the packet and the index; it is not
	// drawn.
	TableNote string
	// Panels are the chart's plots, drawn left to right, top to bottom,
	// Columns to a row.
	Panels  []*plot.Plot
	Columns int
	// Points are the figures as drawn, one per bar, box, vertex or
	// estimate, withheld ones included (with Gap set).
	Points []Point
	// Data is the table behind the chart: its rows, the columns drawn.
	Data *metrics.Table

	legend []legendEntry
	// widths, when set for a chart of one row, are the panels' relative
	// widths (a wide forest beside narrow bars); else panels share the
	// width equally.
	widths []float64
}

// Point is one figure as the chart draws it.
type Point struct {
	Panel    string  // the panel's title, when the chart has several
	Series   string  // the provider, subject or measure it belongs to
	Category string  // where it sits: a school, a week, a band of hours
	Value    float64 // the figure (rates as proportions); 0 when Gap is set
	Low      float64 // its interval or spread (p25, 95% low); Value when none
	High     float64
	Gap      string // why nothing is drawn here ("withheld: fewer than 10 students"); empty when drawn
}

// Save writes dir/name.png (1920x1080) and dir/name.svg.
func (c *Chart) Save(dir, name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return fmt.Errorf("save chart %q: the name must be a plain file name, got %q", c.Title, name)
	}
	var png, svg bytes.Buffer
	if err := c.WritePNG(&png); err != nil {
		return err
	}
	if err := c.WriteSVG(&svg); err != nil {
		return err
	}
	for _, f := range []struct {
		ext string
		b   []byte
	}{{".png", png.Bytes()}, {".svg", svg.Bytes()}} {
		if err := os.WriteFile(filepath.Join(dir, name+f.ext), f.b, 0o600); err != nil {
			return fmt.Errorf("save chart %q: %w", c.Title, err)
		}
	}
	return nil
}

// WritePNG writes the chart as a 1920x1080 PNG.
func (c *Chart) WritePNG(w io.Writer) error {
	cv := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))
	c.Draw(draw.New(cv))
	if _, err := (vgimg.PngCanvas{Canvas: cv}).WriteTo(w); err != nil {
		return fmt.Errorf("write chart %q as PNG: %w", c.Title, err)
	}
	return nil
}

// WriteSVG writes the chart as SVG, 1440x810 points. The fonts are named,
// not embedded (Liberation Sans, metric-compatible with Arial).
func (c *Chart) WriteSVG(w io.Writer) error {
	cv := vgsvg.New(Width, Height)
	c.Draw(draw.New(cv))
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return fmt.Errorf("write chart %q as SVG: %w", c.Title, err)
	}
	// The layout was measured with Liberation Sans; where a browser lacks
	// it, Arial has the same letter widths (not the browser's default serif).
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write chart %q as SVG: %w", c.Title, err)
	}
	return nil
}

// Draw draws the whole slide: the title, the legend, the panels, and the
// n and notes underneath.
func (c *Chart) Draw(dc draw.Canvas) {
	dc.SetColor(white)
	dc.Fill(dc.Rectangle.Path())
	area := draw.Crop(dc, margin, -margin, margin, -margin)

	title := textStyle(titleSize, true)
	top := area.Max.Y
	for _, line := range wrap(title, c.Title, area.Max.X-area.Min.X, 0) { // a headline wraps, never cut
		top -= title.Height(line)
		area.FillText(title, vg.Point{X: area.Min.X, Y: top}, line)
	}
	area.Max.Y = top - gapBelowTitle

	foot := textStyle(footSize, false)
	foot.Color = darkGrey
	lines := footLines(foot, c.N, c.Notes, area.Max.X-area.Min.X)
	bottom := area.Min.Y
	for i := len(lines) - 1; i >= 0; i-- {
		area.FillText(foot, vg.Point{X: area.Min.X, Y: bottom}, lines[i])
		bottom += foot.Height(lines[i]) + 2
	}
	if len(lines) > 0 {
		bottom += gapAboveFoot
	}
	area.Min.Y = bottom
	c.DrawFigure(area)
}

// DrawFigure draws the legend and the panels only, for a page that sets its
// own title, reading and notes (the packet).
func (c *Chart) DrawFigure(dc draw.Canvas) {
	if len(c.legend) > 0 {
		h := drawLegend(dc, c.legendEntries())
		dc.Max.Y -= h + gapBelowLegend
	}
	cols := c.Columns
	if cols <= 0 || cols > len(c.Panels) {
		cols = len(c.Panels)
	}
	if cols == 0 {
		return
	}
	rows := (len(c.Panels) + cols - 1) / cols
	// Panel titles are drawn here, in a band above each row of panels, so
	// that titles of one row line up whatever each panel's labels need.
	title := textStyle(panelTitleSize, true)
	title.XAlign = draw.XCenter
	var titleH vg.Length
	for _, p := range c.Panels {
		if p.Title.Text != "" {
			titleH = title.Height(p.Title.Text) + 12
		}
	}
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for k := range cols {
			if i := r*cols + k; i < len(c.Panels) {
				untitled := *c.Panels[i]
				untitled.Title.Text = ""
				grid[r][k] = &untitled
			}
		}
	}
	if rows == 1 && len(c.widths) == cols {
		c.drawWeighted(dc, grid[0], title, titleH)
		return
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: panelGap, PadY: panelGap + titleH, PadTop: titleH}
	canvases := plot.Align(grid, tiles, dc)
	for r := range grid {
		for k, p := range grid[r] {
			if p == nil {
				continue
			}
			p.Draw(canvases[r][k])
			if t := c.Panels[r*cols+k].Title.Text; t != "" {
				data := p.DataCanvas(canvases[r][k])
				top := tiles.At(dc, k, r).Max.Y
				dc.FillText(title, vg.Point{X: data.Center().X, Y: top + 8}, t)
			}
		}
	}
}

// drawWeighted draws one row of panels, each as wide as its share of
// c.widths.
func (c *Chart) drawWeighted(dc draw.Canvas, row []*plot.Plot, title textStyleT, titleH vg.Length) {
	sum := 0.0
	for _, w := range c.widths {
		sum += w
	}
	avail := dc.Max.X - dc.Min.X - panelGap*vg.Length(len(row)-1)
	x := dc.Min.X
	for k, p := range row {
		w := avail * vg.Length(c.widths[k]/sum)
		sub := dc
		sub.Min.X, sub.Max.X = x, x+w
		x += w + panelGap
		cv := plot.Align([][]*plot.Plot{{p}}, draw.Tiles{Rows: 1, Cols: 1, PadTop: titleH}, sub)[0][0]
		p.Draw(cv)
		if t := c.Panels[k].Title.Text; t != "" {
			data := p.DataCanvas(cv)
			dc.FillText(title, vg.Point{X: data.Center().X, Y: sub.Max.Y - titleH + 8}, t)
		}
	}
}

// footLines are the n and the notes, wrapped to the width, at most
// maxFootLines lines (the last cut short with an ellipsis).
func footLines(sty textStyleT, n string, notes []string, width vg.Length) []string {
	var parts []string
	if n != "" {
		parts = append(parts, n)
	}
	parts = append(parts, notes...)
	if len(parts) == 0 {
		return nil
	}
	return wrap(sty, strings.Join(parts, "  ·  "), width, maxFootLines)
}

// wrap breaks text into lines no wider than width, at most max lines.
func wrap(sty textStyleT, s string, width vg.Length, max int) []string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for _, w := range words {
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		if cur != "" && sty.Width(try) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur = try
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if max > 0 && len(lines) > max {
		last := lines[max-1] + " …"
		for sty.Width(last) > width && strings.Contains(lines[max-1], " ") {
			lines[max-1] = lines[max-1][:strings.LastIndex(lines[max-1], " ")]
			last = lines[max-1] + " …"
		}
		lines = append(lines[:max-1], last)
	}
	return lines
}

// legendEntries is the legend as drawn: the hatched swatch says what this
// chart's hatched slots are, withheld cells, slots with no figure, or both.
func (c *Chart) legendEntries() []legendEntry {
	withheld, none := false, false
	for _, p := range c.Points {
		switch {
		case p.Gap == "":
		case strings.HasPrefix(p.Gap, "withheld"):
			withheld = true
		default:
			none = true
		}
	}
	out := slices.Clone(c.legend)
	for i := range out {
		if out[i].kind != legendHatch {
			continue
		}
		switch {
		case withheld && none:
			out[i].text = "withheld to protect privacy, or no figure (see the labels and notes)"
		case none:
			out[i].text = "no figure (the label says why)"
		}
	}
	return out
}
