package packet

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	pfont "gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgpdf"

	"golang.org/x/image/font"

	"github.com/hitreflect/hitreflect/reports/charts"
)

// The PDF page: US Letter's proportions (8.5x11) at the charts' scale, so
// the chart keeps its 20 pt type and prints at about 12 pt on paper.
const (
	pageW  = vg.Length(1440)
	pageH  = vg.Length(1863)
	margin = vg.Length(56)
)

// cover is what the cover page says.
type cover struct {
	District string
	Audience string
	Period   string
	Made     time.Time
	AsOf     time.Time
	Skipped  []string
}

func (c cover) asOf() string {
	if c.AsOf.IsZero() {
		return "no file loaded yet"
	}
	return c.AsOf.Format("2 January 2006, 15:04")
}

var (
	black    = color.Gray{Y: 0}
	darkGrey = color.Gray{Y: 0x44}
	ruleGrey = color.Gray{Y: 0xbb}
)

var pdfDates sync.Mutex

// pdfSetup fixes the PDF's creation and modification dates to the time
// the packet is made and sorts its catalog, so the same packet gives the
// same bytes. fpdf keeps these as package defaults, read when a document
// is created.
func pdfSetup(made time.Time) {
	pdfDates.Lock()
	defer pdfDates.Unlock()
	fpdf.SetDefaultCreationDate(made.UTC())
	fpdf.SetDefaultModificationDate(made.UTC())
	fpdf.SetDefaultCatalogSort(true)
}

func sty(size vg.Length, bold bool, clr color.Color) text.Style {
	f := pfont.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		f.Weight = font.WeightBold
	}
	return text.Style{Color: clr, Font: f, XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
}

// page draws lines of text top down, between margins.
type page struct {
	dc   draw.Canvas
	top  vg.Length
	w, m vg.Length // the page's width and its margins
}

func newPage(dc draw.Canvas, w, h, m vg.Length) *page { return &page{dc: dc, top: h - m, w: w, m: m} }

func (p *page) width() vg.Length { return p.w - 2*p.m }

// text writes s wrapped to the page's width, at most max lines (0: any).
func (p *page) text(st text.Style, s string, max int, after vg.Length) {
	p.textAt(st, s, p.m, p.width(), max, after)
}

// textAt writes s wrapped to width from x.
func (p *page) textAt(st text.Style, s string, x, width vg.Length, max int, after vg.Length) {
	for _, line := range wrapText(st, s, width, max) {
		h := st.Height(line)
		p.top -= h
		p.dc.FillText(st, vg.Point{X: x, Y: p.top}, line)
		p.top -= h * 0.25
	}
	p.top -= after
}

// textHeight is how much height text would take.
func textHeight(st text.Style, s string, width vg.Length, max int, after vg.Length) vg.Length {
	var h vg.Length
	for _, line := range wrapText(st, s, width, max) {
		h += st.Height(line) * 1.25
	}
	return h + after
}

// wrapText breaks s into lines no wider than width; past max lines the
// last ends with an ellipsis.
func wrapText(st text.Style, s string, width vg.Length, max int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, w := range strings.Fields(para) {
			try := w
			if cur != "" {
				try = cur + " " + w
			}
			if cur != "" && st.Width(try) > width {
				lines = append(lines, cur)
				cur = w
				continue
			}
			cur = try
		}
		lines = append(lines, cur)
	}
	if max > 0 && len(lines) > max {
		lines = lines[:max]
		lines[max-1] += " …"
	}
	return lines
}

// pdfCanvas works around two limits of vgpdf: it registers every font
// without a style but selects bold and italic ones with one ("undefined
// font: liberationsans-bold B"), and it names every embedded font file
// "font.z", so that a document with several faces shows all its text in
// one of them. Every face is drawn as Liberation Sans Regular: titles
// stand out by their size.
type pdfCanvas struct {
	*vgpdf.Canvas
	// toCP1252 is this document's own translator: fpdf's keeps a buffer,
	// so one shared by packets drawn in parallel mixes their text.
	toCP1252 func(string) string
}

func (c pdfCanvas) FillString(f pfont.Face, pt vg.Point, s string) {
	if f.Font.Weight != font.WeightNormal || f.Font.Style != font.StyleNormal || f.Font.Typeface != "Liberation" || f.Font.Variant != "Sans" {
		f = pfont.DefaultCache.Lookup(pfont.Font{Typeface: "Liberation", Variant: "Sans"}, f.Font.Size)
	}
	c.Canvas.FillString(f, pt, c.toCP1252(s))
}

// cp1252 makes a translator to the code page vgpdf's fonts are encoded in
// (vgpdf writes strings as they are, so "Juárez" would print as "JuÃ¡rez").
func cp1252() func(string) string {
	return fpdf.New("P", "pt", "Letter", "").UnicodeTranslatorFromDescriptor("cp1252")
}

// writePDF draws the cover and one page per chart.
func writePDF(cov cover, ds []drawn) ([]byte, error) {
	raw := vgpdf.New(pageW, pageH)
	raw.EmbedFonts(true)
	cv := pdfCanvas{Canvas: raw, toCP1252: cp1252()}
	p := newPage(draw.New(cv), pageW, pageH, margin)
	drawCover(p, cov, ds)
	for _, d := range ds {
		raw.NextPage()
		p = newPage(draw.New(cv), pageW, pageH, margin)
		drawChartPage(p, d.chart)
	}
	var buf bytes.Buffer
	if _, err := raw.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write packet.pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func drawCover(p *page, cov cover, ds []drawn) {
	p.top -= 160
	p.text(sty(30, false, darkGrey), "Reflection packet", 1, 12)
	p.text(sty(64, true, black), cov.District, 2, 24)
	p.text(sty(40, true, black), cov.Audience, 2, 40)
	rows := [][2]string{
		{"Period", cov.Period},
		{"Made", cov.Made.Format("2 January 2006")},
		{"Data as of", cov.asOf() + " (the newest file loaded)"},
	}
	for _, r := range rows {
		p.text(sty(30, false, black), r[0]+": "+r[1], 2, 10)
	}
	p.top -= 50
	p.text(sty(28, true, black), "How to use this packet", 1, 10)
	p.text(sty(24, false, black), "Each page shows one chart. First say what the data show (What do we notice?), then what we do not yet know (What do we wonder?), then agree on what comes next: what, who, and by when.", 4, 40)
	p.text(sty(28, true, black), "In this packet", 1, 10)
	for i, d := range ds {
		p.text(sty(24, false, black), fmt.Sprintf("%d. %s", i+1, d.chart.Title), 2, 4)
	}
	if len(cov.Skipped) > 0 {
		p.top -= 30
		p.text(sty(24, true, darkGrey), "Not in this packet", 1, 8)
		for _, s := range cov.Skipped {
			p.text(sty(20, false, darkGrey), "• "+s, 3, 4)
		}
	}
}

// The three reflection prompts.
var prompts = []string{"What do we notice?", "What do we wonder?", "What will we do next, who, by when?"}

func drawChartPage(p *page, c *charts.Chart) {
	p.text(sty(36, true, black), c.Title, 0, 10) // a headline wraps, never cut
	p.text(sty(26, false, black), c.Reading, 3, 16)
	h := p.width() * 9 / 16
	fig := draw.Canvas{Canvas: p.dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: margin, Y: p.top - h},
		Max: vg.Point{X: pageW - margin, Y: p.top},
	}}
	c.DrawFigure(fig)
	p.top -= h + 20
	foot := sty(20, false, darkGrey)
	if c.N != "" {
		p.text(foot, c.N, 1, 2)
	}
	for _, n := range c.Notes {
		p.text(foot, n, 2, 2)
	}
	if c.TableNote != "" {
		p.text(foot, c.TableNote, 3, 2)
	}
	p.top -= 20
	// The prompts share what is left of the page, each a ruled box.
	left := p.top - margin
	if left < 3*60 {
		left = 3 * 60
	}
	box := left / 3
	for _, q := range prompts {
		r := vg.Rectangle{Min: vg.Point{X: margin, Y: p.top - box + 12}, Max: vg.Point{X: pageW - margin, Y: p.top}}
		p.dc.SetLineStyle(draw.LineStyle{Color: ruleGrey, Width: 1.5})
		p.dc.Stroke(r.Path())
		st := sty(26, true, black)
		p.dc.FillText(st, vg.Point{X: margin + 16, Y: p.top - 16 - st.Height(q)}, q)
		p.top -= box
	}
}
