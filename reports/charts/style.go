package charts

import (
	"image/color"
	"math"

	"golang.org/x/image/font"
	"gonum.org/v1/plot"
	pfont "gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Type sizes, in points on the 1440x810 slide: large enough to read from
// the back of a room.
const (
	titleSize      = 36
	panelTitleSize = 26
	axisLabelSize  = 24
	tickSize       = 22
	valueSize      = 20
	legendSize     = 22
	footSize       = 20
	gapTextSize    = 20

	margin         = vg.Length(28)
	gapBelowTitle  = vg.Length(14)
	gapBelowLegend = vg.Length(16)
	gapAboveFoot   = vg.Length(14)
	panelGap       = vg.Length(48)
	maxFootLines   = 3
)

type textStyleT = text.Style

// sans is Liberation Sans, which gonum/plot embeds.
func sans(size vg.Length, bold, italic bool) pfont.Font {
	f := pfont.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		f.Weight = font.WeightBold
	}
	if italic {
		f.Style = font.StyleItalic
	}
	return f
}

func textStyle(size vg.Length, bold bool) text.Style {
	return text.Style{
		Color:   black,
		Font:    sans(size, bold, false),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// newPanel is a plot in the charts' type and lines.
func newPanel(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(panelTitleSize, true, false)
	p.Title.Padding = 14
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(axisLabelSize, false, false)
		a.Label.Padding = 10
		a.Tick.Label.Font = sans(tickSize, false, false)
		a.LineStyle.Width = 1.5
		a.Tick.LineStyle.Width = 1.5
		a.Tick.Length = 7
		a.Padding = 0
	}
	return p
}

// categoryAxis labels categories at their positions, without tick marks.
func categoryAxis(a *plot.Axis, ticks []plot.Tick, min, max float64) {
	a.Min, a.Max = min, max
	a.Tick.Marker = plot.ConstantTicks(ticks)
	a.Tick.Length = 0
	a.LineStyle.Width = 0
}

// valueAxis sets a value axis's range and labelled ticks, and returns the
// tick values for the grid.
func valueAxis(a *plot.Axis, min, max float64, format func(float64) string) []float64 {
	a.Min, a.Max = min, max
	vals := niceTicks(min, max, 6)
	ticks := make([]plot.Tick, len(vals))
	for i, v := range vals {
		ticks[i] = plot.Tick{Value: v, Label: format(v)}
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
	return vals
}

// rateAxis is a 0-100% axis.
func rateAxis(a *plot.Axis) []float64 {
	return valueAxis(a, 0, 1, func(v float64) string { return pct(v) })
}

// shareAxis is a 0% axis up to a round value past the largest share
// (at most 100%): small shares stay readable, and bars still start at 0.
func shareAxis(a *plot.Axis, largest float64) []float64 {
	max := math.Min(1, niceMax(largest*1.1))
	if max <= 0 {
		max = 1
	}
	return valueAxis(a, 0, max, func(v float64) string { return pct(v) })
}

// niceTicks are round values covering [min, max], about n of them.
func niceTicks(min, max float64, n int) []float64 {
	if !(max > min) {
		return []float64{min}
	}
	step := niceStep((max - min) / float64(n))
	var out []float64
	// k*step, rounded, rather than adding steps up: 0.3, not 0.30000000000000004
	for k := math.Ceil(min/step - 1e-9); k*step <= max+step*1e-9; k++ {
		v := k * step
		if p := math.Pow(10, math.Ceil(-math.Log10(step))+2); p > 1 {
			v = math.Round(v*p) / p
		}
		if v == 0 {
			v = 0 // no "-0"
		}
		out = append(out, v)
	}
	return out
}

func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// niceMax rounds a maximum up to a round value.
func niceMax(max float64) float64 {
	if max <= 0 {
		return 1
	}
	step := niceStep(max / 5)
	return math.Ceil(max/step-1e-9) * step
}

// lighten mixes a colour with white: f = 0 is the colour, 1 is white.
func lighten(c color.Color, f float64) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8(math.Round(float64(v>>8)*(1-f) + 255*f)) }
	return color.RGBA{mix(r), mix(g), mix(b), 0xFF}
}

// legendEntry is one item of a chart's legend.
type legendEntry struct {
	kind  legendKind
	color color.Color
	text  string
}

type legendKind int

const (
	legendSwatch   legendKind = iota // a filled square
	legendHatch                      // a withheld slot
	legendDashed                     // a dashed reference line
	legendLine                       // a line with a dot
	legendRule                       // a plain line
	legendBox                        // a box with a median line
	legendEstimate                   // a dot with an interval
)

// drawLegend draws the entries in rows across the top of c and returns the
// height used.
func drawLegend(c draw.Canvas, entries []legendEntry) vg.Length {
	sty := textStyle(legendSize, false)
	sty.YAlign = draw.YCenter
	const sw = 26 // swatch size
	rowH := vg.Length(math.Max(sw, float64(sty.Height("Mg")))) + 8
	x, y := c.Min.X, c.Max.Y-rowH/2
	used := rowH
	for _, e := range entries {
		w := sw + 10 + sty.Width(e.text)
		if x > c.Min.X && x+w > c.Max.X {
			x = c.Min.X
			y -= rowH
			used += rowH
		}
		r := vg.Rectangle{Min: vg.Point{X: x, Y: y - sw/2}, Max: vg.Point{X: x + sw, Y: y + sw/2}}
		drawSwatch(c, e, r)
		c.FillText(sty, vg.Point{X: x + sw + 10, Y: y}, e.text)
		x += w + 40
	}
	return used
}

func drawSwatch(c draw.Canvas, e legendEntry, r vg.Rectangle) {
	midY := (r.Min.Y + r.Max.Y) / 2
	midX := (r.Min.X + r.Max.X) / 2
	switch e.kind {
	case legendSwatch:
		c.FillPolygon(e.color, rectPoints(r))
	case legendHatch:
		drawHatch(c, r)
	case legendDashed:
		c.StrokeLine2(draw.LineStyle{Color: e.color, Width: 3, Dashes: []vg.Length{8, 5}}, r.Min.X, midY, r.Max.X, midY)
	case legendLine:
		c.StrokeLine2(draw.LineStyle{Color: e.color, Width: 4}, r.Min.X, midY, r.Max.X, midY)
		c.DrawGlyphNoClip(draw.GlyphStyle{Color: e.color, Radius: 6, Shape: draw.CircleGlyph{}}, vg.Point{X: midX, Y: midY})
	case legendRule:
		c.StrokeLine2(draw.LineStyle{Color: e.color, Width: 3}, r.Min.X, midY, r.Max.X, midY)
	case legendBox:
		inner := vg.Rectangle{Min: vg.Point{X: r.Min.X, Y: r.Min.Y + 3}, Max: vg.Point{X: r.Max.X, Y: r.Max.Y - 3}}
		c.FillPolygon(lighten(e.color, 0.55), rectPoints(inner))
		c.StrokeLines(draw.LineStyle{Color: e.color, Width: 2}, closed(rectPoints(inner)))
		c.StrokeLine2(draw.LineStyle{Color: black, Width: 4}, r.Min.X, midY, r.Max.X, midY)
	case legendEstimate:
		c.StrokeLine2(draw.LineStyle{Color: e.color, Width: 4}, r.Min.X, midY, r.Max.X, midY)
		c.DrawGlyphNoClip(draw.GlyphStyle{Color: e.color, Radius: 8, Shape: draw.CircleGlyph{}}, vg.Point{X: midX, Y: midY})
	}
}

func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

func closed(pts []vg.Point) []vg.Point { return append(pts, pts[0]) }

// drawHatch fills r as a withheld slot: pale, hatched, with a dashed edge.
func drawHatch(c draw.Canvas, r vg.Rectangle) {
	if r.Max.X <= r.Min.X || r.Max.Y <= r.Min.Y {
		return
	}
	c.FillPolygon(paleGrey, rectPoints(r))
	const step = 11
	line := draw.LineStyle{Color: hatchGrey, Width: 1.5}
	// lines y = x - k, k a multiple of step so slots line up
	kMin := math.Floor(float64(r.Min.X-r.Max.Y)/step) * step
	for k := vg.Length(kMin); k <= r.Max.X-r.Min.Y; k += step {
		xa := vg.Length(math.Max(float64(r.Min.X), float64(r.Min.Y+k)))
		xb := vg.Length(math.Min(float64(r.Max.X), float64(r.Max.Y+k)))
		if xb > xa {
			c.StrokeLine2(line, xa, xa-k, xb, xb-k)
		}
	}
	c.StrokeLines(draw.LineStyle{Color: midGrey, Width: 1.5, Dashes: []vg.Length{6, 4}}, closed(rectPoints(r)))
}

// padRange widens a value range by 5% on each side, so end points and their
// labels do not sit on the frame; an empty range gets emptySpan.
func padRange(lo, hi, emptySpan float64) (float64, float64) {
	span := hi - lo
	if span == 0 {
		span = emptySpan
	}
	return lo - 0.05*span, hi + 0.05*span
}
