package packet

import (
	"bytes"
	"fmt"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgpdf"

	"github.com/hitreflect/hitreflect/reports/charts"
)

// The deck's slide: 16:9 at the charts' own scale (1440x810 pt, 20x11.25
// in), so a chart keeps the type it was laid out with, which a projector
// shows at about 15 pt on a 13.3 in wide slide and the deck's own text at
// 19 pt or more. slides.pdf is for the meeting room; packet.pdf, in
// portrait with room to write, is the handout.
const (
	slideW      = charts.Width
	slideH      = charts.Height
	slideMargin = vg.Length(44)
)

// Type on slides, in points on the 1440x810 slide.
const (
	slideHeadline = 44
	slideReading  = 30
	slideFoot     = 22
	slidePrompt   = 34
	slideListItem = 30
)

// writeSlides draws slides.pdf: a title slide, a slide listing what the
// deck holds, then for each chart a slide with the chart and one with the
// three reflection prompts, so the room talks about one chart at a time.
func writeSlides(cov cover, ds []drawn) ([]byte, error) {
	raw := vgpdf.New(slideW, slideH)
	raw.EmbedFonts(true)
	cv := pdfCanvas{Canvas: raw, toCP1252: cp1252()}
	slide := func() *page { return newPage(draw.New(cv), slideW, slideH, slideMargin) }
	drawTitleSlide(slide(), cov)
	raw.NextPage()
	drawContentsSlide(slide(), cov, ds)
	for i, d := range ds {
		raw.NextPage()
		drawChartSlide(slide(), d.chart)
		raw.NextPage()
		drawPromptSlide(slide(), d.chart, i+1)
	}
	var buf bytes.Buffer
	if _, err := raw.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write slides.pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func drawTitleSlide(p *page, cov cover) {
	p.top -= 150
	p.text(sty(32, false, darkGrey), "Reflection meeting", 0, 14)
	p.text(sty(66, true, black), cov.District, 0, 20)
	p.text(sty(48, true, black), cov.Audience, 0, 44)
	for _, line := range []string{
		"Period: " + cov.Period,
		"Made " + cov.Made.Format("2 January 2006") + "; data as of " + cov.asOf(),
	} {
		p.text(sty(30, false, black), line, 0, 10)
	}
}

func drawContentsSlide(p *page, cov cover, ds []drawn) {
	p.text(sty(slideHeadline, true, black), "In this meeting", 0, 22)
	// Two columns when the list is long, so that every title is whole.
	cols := 1
	if len(ds) > 7 {
		cols = 2
	}
	gap := vg.Length(40)
	colW := (p.width() - gap*vg.Length(cols-1)) / vg.Length(cols)
	perCol := (len(ds) + cols - 1) / cols
	top, lowest := p.top, p.top
	item := sty(slideListItem, false, black)
	if cols == 2 {
		item = sty(26, false, black)
	}
	for i, d := range ds {
		col := i / max(perCol, 1)
		if i%max(perCol, 1) == 0 {
			p.top = top
		}
		x := p.m + vg.Length(col)*(colW+gap)
		p.textAt(item, fmt.Sprintf("%d. %s", i+1, d.chart.Title), x, colW, 0, 6)
		lowest = min(lowest, p.top)
	}
	p.top = lowest // below the longer column
	if len(cov.Skipped) > 0 {
		p.top -= 20
		p.text(sty(slideFoot, true, darkGrey), "Not in this packet", 0, 6)
		for _, s := range cov.Skipped {
			p.text(sty(20, false, darkGrey), "• "+s, 0, 2)
		}
	}
}

// drawChartSlide: the headline, whole; the reading; the chart; its n and
// notes underneath. Nothing is cut: when a long headline and reading
// would leave the chart too little room, the slide's own type steps down
// (to no less than 32 and 22 pt) before the chart shrinks.
func drawChartSlide(p *page, c *charts.Chart) {
	foot := sty(slideFoot, false, darkGrey)
	var feet []string
	if c.N != "" {
		feet = append(feet, c.N)
	}
	feet = append(feet, c.Notes...)
	var footH vg.Length
	for _, f := range feet {
		footH += textHeight(foot, f, p.width(), 0, 2)
	}
	var head, read text.Style
	for _, scale := range []vg.Length{1, 0.85, 0.73} {
		head, read = sty(slideHeadline*scale, true, black), sty(slideReading*scale, false, black)
		text := textHeight(head, c.Title, p.width(), 0, 10) + textHeight(read, c.Reading, p.width(), 0, 14)
		if slideH-2*slideMargin-text-footH-10 >= 360 {
			break
		}
	}
	p.text(head, c.Title, 0, 10)
	p.text(read, c.Reading, 0, 14)
	figTop, figBottom := p.top, slideMargin+footH+10
	fig := draw.Canvas{Canvas: p.dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: p.m, Y: figBottom},
		Max: vg.Point{X: slideW - p.m, Y: max(figTop, figBottom)},
	}}
	c.DrawFigure(fig)
	p.top = figBottom - 10
	for _, f := range feet {
		p.text(foot, f, 0, 2)
	}
}

// drawPromptSlide: the three reflection prompts side by side under the
// chart's headline and reading, each a box to fill in on the screen or a
// flip chart.
func drawPromptSlide(p *page, c *charts.Chart, n int) {
	p.text(sty(26, false, darkGrey), fmt.Sprintf("Reflect on chart %d", n), 0, 6)
	p.text(sty(slideHeadline-4, true, black), c.Title, 0, 8)
	p.text(sty(slideReading-2, false, black), c.Reading, 0, 24)
	gap := vg.Length(28)
	w := (p.width() - 2*gap) / 3
	bottom := slideMargin
	if p.top-bottom < 200 {
		bottom = p.top - 200
	}
	q := sty(slidePrompt, true, black)
	hint := sty(24, false, darkGrey)
	for i, prompt := range prompts {
		x := p.m + vg.Length(i)*(w+gap)
		r := vg.Rectangle{Min: vg.Point{X: x, Y: bottom}, Max: vg.Point{X: x + w, Y: p.top}}
		p.dc.SetLineStyle(draw.LineStyle{Color: ruleGrey, Width: 2})
		p.dc.Stroke(r.Path())
		y := p.top - 18
		for _, line := range wrapText(q, prompt, w-36, 0) {
			y -= q.Height(line)
			p.dc.FillText(q, vg.Point{X: x + 18, Y: y}, line)
			y -= q.Height(line) * 0.2
		}
		y -= 8
		for _, line := range wrapText(hint, promptHints[i], w-36, 0) {
			y -= hint.Height(line)
			p.dc.FillText(hint, vg.Point{X: x + 18, Y: y}, line)
			y -= hint.Height(line) * 0.2
		}
	}
}

// promptHints say how to answer each prompt, for whoever leads the
// conversation.
var promptHints = []string{
	"What the chart shows, in plain facts: no causes yet.",
	"Questions the figures raise; what else we would need to know.",
	"One action, its owner and a date; what we will look at next time.",
}
