package charts

import (
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// markKind is how a figure is drawn.
type markKind int

const (
	kindBar      markKind = iota // a bar from the base to the value
	kindBox                      // a box from low to high, a line at the value
	kindEstimate                 // a dot at the value, a line from low to high
)

// mark is one figure on a categorical panel: its slot along the category
// axis (pos, thick) and its value(s) along the value axis. A mark with a
// gap is drawn as a hatched slot saying why, whatever its value.
type mark struct {
	kind             markKind
	pos, thick       float64
	value, low, high float64
	fill             color.Color
	text             string // the value's label
	gap              string
}

// marks draws figures on a categorical panel.
type marks struct {
	horizontal bool    // categories up the y axis, values along x
	base       float64 // where bars start
	items      []mark
}

func (m *marks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	// along maps a value, across a category position, to the canvas.
	along, across := trY, trX
	if m.horizontal {
		along, across = trX, trY
	}
	pt := func(value, pos vg.Length) vg.Point {
		if m.horizontal {
			return vg.Point{X: value, Y: pos}
		}
		return vg.Point{X: pos, Y: value}
	}
	rect := func(v0, v1, p0, p1 vg.Length) vg.Rectangle {
		a, b := pt(v0, p0), pt(v1, p1)
		return vg.Rectangle{
			Min: vg.Point{X: vg.Length(math.Min(float64(a.X), float64(b.X))), Y: vg.Length(math.Min(float64(a.Y), float64(b.Y)))},
			Max: vg.Point{X: vg.Length(math.Max(float64(a.X), float64(b.X))), Y: vg.Length(math.Max(float64(a.Y), float64(b.Y)))},
		}
	}
	lo, hi := c.Min.Y, c.Max.Y
	if m.horizontal {
		lo, hi = c.Min.X, c.Max.X
	}
	// Labels need a slot at least as tall as their type: in a chart too
	// dense for them, the bars are read against the axis instead.
	labels := true
	if m.horizontal && len(m.items) > 0 {
		unit := math.Abs(float64(across(1) - across(0)))
		labels = unit >= float64(textStyle(valueSize, false).Height("0"))
	}
	for _, it := range m.items {
		p0, p1 := across(it.pos-it.thick/2), across(it.pos+it.thick/2)
		mid := across(it.pos)
		if it.gap != "" {
			r := rect(lo, hi, p0, p1)
			drawHatch(c, r)
			drawGapText(c, r, it.gap, m.horizontal)
			continue
		}
		label := textStyle(valueSize, false)
		switch it.kind {
		case kindBar:
			b, v := along(m.base), along(it.value)
			c.FillPolygon(it.fill, rectPoints(rect(b, v, p0, p1)))
			if it.text != "" && labels {
				fillTextHalo(c, m.labelStyle(label, it.value >= m.base), pt(v+m.sign(it.value)*8, mid), it.text)
			}
		case kindBox:
			r := rect(along(it.low), along(it.high), p0, p1)
			c.FillPolygon(lighten(it.fill, 0.55), rectPoints(r))
			c.StrokeLines(draw.LineStyle{Color: it.fill, Width: 2.5}, closed(rectPoints(r)))
			v := along(it.value)
			a, b := pt(v, p0), pt(v, p1)
			c.StrokeLine2(draw.LineStyle{Color: black, Width: 5}, a.X, a.Y, b.X, b.Y)
			if it.text != "" {
				// beside the box, level with the median
				label.XAlign, label.YAlign = draw.XLeft, draw.YCenter
				at := pt(v, p1+8)
				if m.horizontal {
					label.XAlign, label.YAlign = draw.XCenter, draw.YBottom
				}
				fillTextHalo(c, label, at, it.text)
			}
		case kindEstimate:
			l, h, v := along(it.low), along(it.high), along(it.value)
			sty := draw.LineStyle{Color: it.fill, Width: 4}
			a, b := pt(l, mid), pt(h, mid)
			c.StrokeLine2(sty, a.X, a.Y, b.X, b.Y)
			for _, end := range []vg.Length{l, h} {
				e0, e1 := pt(end, mid-9), pt(end, mid+9)
				c.StrokeLine2(sty, e0.X, e0.Y, e1.X, e1.Y)
			}
			c.DrawGlyphNoClip(draw.GlyphStyle{Color: it.fill, Radius: 9, Shape: draw.CircleGlyph{}}, pt(v, mid))
			if it.text != "" && labels {
				fillTextHalo(c, m.labelStyle(label, true), pt(h+14, mid), it.text)
			}
		}
	}
}

// fillTextHalo writes a label on a white patch, so lines under it do not
// cross its letters.
func fillTextHalo(c draw.Canvas, sty textStyleT, at vg.Point, txt string) {
	w, h := sty.Width(txt), sty.Height(txt)
	x0 := at.X + vg.Length(sty.XAlign)*w
	y0 := at.Y + vg.Length(sty.YAlign)*h
	const pad = 3
	r := vg.Rectangle{Min: vg.Point{X: x0 - pad, Y: y0 - pad}, Max: vg.Point{X: x0 + w + pad, Y: y0 + h + pad}}
	c.FillPolygon(white, rectPoints(r))
	c.FillText(sty, at, txt)
}

// labelStyle places a value's label past the end of its bar or interval.
func (m *marks) labelStyle(s textStyleT, up bool) textStyleT {
	switch {
	case m.horizontal && up:
		s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
	case m.horizontal:
		s.XAlign, s.YAlign = draw.XRight, draw.YCenter
	case up:
		s.XAlign, s.YAlign = draw.XCenter, draw.YBottom
	default:
		s.XAlign, s.YAlign = draw.XCenter, draw.YTop
	}
	return s
}

func (m *marks) sign(v float64) vg.Length {
	if v < m.base {
		return -1
	}
	return 1
}

// GlyphBoxes make room for the labels past the ends of bars and intervals.
func (m *marks) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	var out []plot.GlyphBox
	for _, it := range m.items {
		if it.gap != "" || it.text == "" {
			continue
		}
		sty := textStyle(valueSize, false)
		w, h := sty.Width(it.text), sty.Height(it.text)
		end, off := it.value, vg.Length(8)
		switch it.kind {
		case kindEstimate:
			end, off = it.high, 14
		case kindBox:
			continue // drawn beside the box, inside the panel
		}
		var b plot.GlyphBox
		switch {
		case m.horizontal && end >= m.base:
			b = plot.GlyphBox{X: p.X.Norm(end), Y: p.Y.Norm(it.pos), Rectangle: vg.Rectangle{Min: vg.Point{X: off, Y: -h / 2}, Max: vg.Point{X: off + w, Y: h / 2}}}
		case m.horizontal:
			b = plot.GlyphBox{X: p.X.Norm(end), Y: p.Y.Norm(it.pos), Rectangle: vg.Rectangle{Min: vg.Point{X: -off - w, Y: -h / 2}, Max: vg.Point{X: -off, Y: h / 2}}}
		case end >= m.base:
			b = plot.GlyphBox{X: p.X.Norm(it.pos), Y: p.Y.Norm(end), Rectangle: vg.Rectangle{Min: vg.Point{X: -w / 2, Y: off}, Max: vg.Point{X: w / 2, Y: off + h}}}
		default:
			b = plot.GlyphBox{X: p.X.Norm(it.pos), Y: p.Y.Norm(end), Rectangle: vg.Rectangle{Min: vg.Point{X: -w / 2, Y: -off - h}, Max: vg.Point{X: w / 2, Y: -off}}}
		}
		out = append(out, b)
	}
	return out
}

// drawGapText writes why a slot is empty, inside it.
func drawGapText(c draw.Canvas, r vg.Rectangle, txt string, horizontal bool) {
	sty := textStyle(gapTextSize, false)
	sty.Font = sans(gapTextSize, false, true)
	sty.Color = darkGrey
	sty.YAlign = draw.YCenter
	if horizontal {
		if sty.Width(txt) > r.Max.X-r.Min.X-24 {
			txt = shortGap(txt)
		}
		sty.XAlign = draw.XLeft
		c.FillText(sty, vg.Point{X: r.Min.X + 12, Y: (r.Min.Y + r.Max.Y) / 2}, txt)
		return
	}
	// a column: the text runs up it when it is narrow
	sty.XAlign = draw.XCenter
	if sty.Width(txt) > r.Max.X-r.Min.X-8 {
		if sty.Width(txt) > r.Max.Y-r.Min.Y-24 {
			txt = shortGap(txt)
		}
		sty.Rotation = math.Pi / 2
		sty.XAlign = draw.XLeft
		c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: r.Min.Y + 12}, txt)
		return
	}
	c.FillText(sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: r.Min.Y + (r.Max.Y-r.Min.Y)/3}, txt)
}

// shortGap is a gap's text cut to its first word or two ("withheld",
// "no figure") when the whole does not fit; the notes say why.
func shortGap(txt string) string {
	who := ""
	if i := strings.Index(txt, ": "); i >= 0 && !strings.HasPrefix(txt, "withheld") && !strings.HasPrefix(txt, "no figure") {
		who, txt = txt[:i+2], txt[i+2:]
	}
	if strings.HasPrefix(txt, "no figure") {
		return who + "no figure"
	}
	return who + "withheld"
}

// refLine is a reference line across a panel (zero, a target, the
// district's figure), with its label outside the data area.
type refLine struct {
	horizontal bool // a horizontal line at y = value; else vertical at x = value
	value      float64
	text       string
	color      color.Color
	dashed     bool
	width      vg.Length
}

func (r *refLine) style() draw.LineStyle {
	s := draw.LineStyle{Color: r.color, Width: r.width}
	if r.dashed {
		s.Dashes = []vg.Length{12, 7}
	}
	return s
}

func (r *refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := textStyle(valueSize, false)
	sty.Color = r.color
	if r.horizontal {
		y := trY(r.value)
		c.StrokeLine2(r.style(), c.Min.X, y, c.Max.X, y)
		if r.text != "" {
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
			c.FillText(sty, vg.Point{X: c.Max.X + 10, Y: y}, r.text)
		}
		return
	}
	x := trX(r.value)
	c.StrokeLine2(r.style(), x, c.Min.Y, x, c.Max.Y)
	if r.text != "" {
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
		c.FillText(sty, vg.Point{X: x, Y: c.Max.Y + 6}, r.text)
	}
}

func (r *refLine) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	if r.text == "" {
		return nil
	}
	sty := textStyle(valueSize, false)
	w, h := sty.Width(r.text), sty.Height(r.text)
	if r.horizontal {
		return []plot.GlyphBox{{X: 1, Y: p.Y.Norm(r.value), Rectangle: vg.Rectangle{Min: vg.Point{X: 10, Y: -h / 2}, Max: vg.Point{X: 10 + w, Y: h / 2}}}}
	}
	return []plot.GlyphBox{{X: p.X.Norm(r.value), Y: 1, Rectangle: vg.Rectangle{Min: vg.Point{X: -w / 2, Y: 6}, Max: vg.Point{X: w / 2, Y: 6 + h}}}}
}

// grid draws light lines at the value axis's ticks.
type grid struct {
	horizontal bool // horizontal lines at y values; else vertical at x
	at         []float64
}

func (g *grid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: gridGrey, Width: 1.25}
	for _, v := range g.at {
		if g.horizontal {
			y := trY(v)
			c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
		} else {
			x := trX(v)
			c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
		}
	}
}

// trend draws lines over weeks, broken where a week is withheld or
// missing, with a hatched column at each week a value is withheld.
type trend struct {
	series    []trendSeries
	gaps      []trendGap // weeks with a withheld figure
	halfWidth float64    // half a week, in x units
	maxStep   float64    // the longest step a line crosses (a week)
}

// trendGap is a week whose figure is withheld for some series.
type trendGap struct {
	x    float64
	text string // "withheld: LearnWell"
}

type trendSeries struct {
	color color.Color
	pts   []trendPoint
}

type trendPoint struct {
	x, y float64
	ok   bool // false: withheld or no figure; the line breaks
}

func (t *trend) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, g := range t.gaps {
		r := vg.Rectangle{Min: vg.Point{X: trX(g.x - t.halfWidth), Y: c.Min.Y}, Max: vg.Point{X: trX(g.x + t.halfWidth), Y: c.Max.Y}}
		drawHatch(c, r)
		drawGapText(c, r, g.text, false)
	}
	for _, s := range t.series {
		sty := draw.LineStyle{Color: s.color, Width: 4}
		var run []vg.Point
		flush := func() {
			if len(run) > 1 {
				c.StrokeLines(sty, run)
			}
			run = nil
		}
		prev := math.Inf(-1)
		for _, pt := range s.pts {
			if !pt.ok {
				flush()
				prev = math.Inf(-1)
				continue
			}
			if pt.x-prev > t.maxStep {
				flush()
			}
			run = append(run, vg.Point{X: trX(pt.x), Y: trY(pt.y)})
			prev = pt.x
		}
		flush()
		for _, pt := range s.pts {
			if pt.ok {
				c.DrawGlyphNoClip(draw.GlyphStyle{Color: s.color, Radius: 5, Shape: draw.CircleGlyph{}}, vg.Point{X: trX(pt.x), Y: trY(pt.y)})
			}
		}
	}
}
