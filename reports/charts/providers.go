package charts

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot"
)

// measure is one panel of a chart of providers: a figure per provider.
type measure struct {
	column string
	title  string                            // the panel's title
	axis   string                            // the value axis's label, with its unit
	rate   bool                              // a proportion, on a 0-100% axis
	format func(float64) string              // the axis's and the bars' numbers
	text   func(metrics.Row, float64) string // a bar's label (format when nil)
	none   func(metrics.Row) string          // why a row has no figure
	tick   func(float64) string              // the axis's numbers (format when nil)
}

func (m measure) tickLabel(x float64) string {
	if m.tick != nil {
		return m.tick(x)
	}
	return m.format(x)
}

// providerPanels draws each measure as bars per provider, the total row
// last as "All providers" in grey where it has a figure.
func providerPanels(c *Chart, v *view, o Options, chart string, rows []metrics.Row, ms []measure) (anyGap bool, err error) {
	total, hasTotal := v.total()
	for _, m := range ms {
		var groups []group
		largest := 0.0
		for _, r := range rows {
			id := v.str(r, "provider")
			clr, err := o.providerColor(chart, id)
			if err != nil {
				return false, err
			}
			groups = append(groups, group{label: label(o.Providers, id), slots: []slot{measureSlot(v, r, m, label(o.Providers, id), clr)}})
		}
		if hasTotal {
			s := measureSlot(v, total, m, "All providers", allColor)
			// A figure the total row never has (cost per 0.1 SD) is left out,
			// not drawn as a gap.
			if _, has := v.num(total, m.column); has || total.Suppressed != "" {
				groups = append(groups, group{label: "All providers", slots: []slot{s}})
			}
		}
		for _, g := range groups {
			if s := g.slots[0]; s.gap == "" {
				largest = math.Max(largest, s.value)
			}
		}
		p := newPanel(m.title)
		if len(ms) == 1 {
			p.Title.Text = ""
		}
		items, ticks, length := stack(groups, kindBar, false)
		categoryAxis(&p.Y, ticks, 0, length)
		p.X.Label.Text = m.axis
		// Few, wide-spaced ticks: the bars carry their numbers, and the
		// panels share the width with long provider names.
		max, tick := niceMax(largest), m.tickLabel
		if m.rate {
			max, tick = 1, func(v float64) string { return pct(v) }
		}
		valueAxis(&p.X, 0, max, tick)
		at := niceTicks(0, max, 2)
		xTicks := make([]plot.Tick, len(at))
		for i, t := range at {
			xTicks[i] = plot.Tick{Value: t, Label: tick(t)}
			if !m.rate && i == 0 && len(at) > 1 {
				// In a narrow panel "$0" runs into the next label; the
				// bars start at the axis line anyway.
				xTicks[i].Label = ""
			}
		}
		p.X.Tick.Marker = plot.ConstantTicks(xTicks)
		p.Add(&grid{at: at})
		p.Add(&marks{horizontal: true, items: items})
		c.Panels = append(c.Panels, p)
		panel := m.title
		if len(ms) == 1 {
			panel = ""
		}
		c.addPoints(panel, groups)
		anyGap = anyGap || hasGap(groups)
	}
	return anyGap, nil
}

func measureSlot(v *view, r metrics.Row, m measure, series string, clr color.Color) slot {
	x, has := v.num(r, m.column)
	none := "no figure"
	if m.none != nil && !has {
		none = m.none(r)
	}
	s := slot{series: series, color: clr, value: x, low: x, high: x, gap: gapFor(r, has, none), text: m.format(x)}
	if m.text != nil && has {
		s.text = m.text(r, x)
	}
	return s
}

// lowestHighest finds the providers with the smallest and largest figure
// of a column among the rows shown.
func lowestHighest(v *view, o Options, rows []metrics.Row, column string) (lo, hi string, loV, hiV float64, ok bool) {
	for _, r := range rows {
		if r.Suppressed != "" {
			continue
		}
		x, has := v.num(r, column)
		if !has {
			continue
		}
		name := label(o.Providers, v.str(r, "provider"))
		if !ok || x < loV {
			lo, loV = name, x
		}
		if !ok || x > hiV {
			hi, hiV = name, x
		}
		ok = true
	}
	return
}

// CostPerStudent draws what the contracts buy per provider (the cost table
// cut by provider): the cost per student served, per hour attended, per
// student meeting the dosage target, and per student per 0.1 SD of effect
// in each subject, one panel each.
func CostPerStudent(t *metrics.Table, o Options) (*Chart, error) {
	const name = "cost by provider"
	v, err := read(t, name, "cost", []string{"provider"}, "cost_per_student_served", "cost_per_hour_attended", "cost_per_student_meeting_target")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "provider")
	o = o.withColors(providersOf(v, rows, "provider"))
	cur := o.currency()
	cost := func(x float64) string { return money(cur, x) }
	costTick := func(x float64) string { return cur + count(x) }
	noContract := func(r metrics.Row) bool {
		_, has := v.col["contract"]
		return has && v.str(r, "contract") == "no cost in the config"
	}
	why := func(other string) func(metrics.Row) string {
		return func(r metrics.Row) string {
			if noContract(r) {
				return "no figure: no contract in the config"
			}
			return other
		}
	}
	ms := []measure{
		{column: "cost_per_student_served", title: "Per student served", axis: "cost per student (" + cur + ")", format: cost, tick: costTick, none: why("no figure: no student served")},
		{column: "cost_per_hour_attended", title: "Per hour attended", axis: "cost per hour (" + cur + ")", format: cost, tick: costTick, none: why("no figure: no hour attended")},
		{column: "cost_per_student_meeting_target", title: "Per student at target", axis: "cost per student (" + cur + ")", format: cost, tick: costTick, none: why("no figure: nobody met the target")},
	}
	var sdSubjects []string
	for _, col := range t.Columns {
		if subj, ok := strings.CutPrefix(col, "cost_per_student_per_0.1_sd_"); ok {
			sdSubjects = append(sdSubjects, subj)
			ms = append(ms, measure{column: col, title: "Per student per 0.1 SD, " + lowerName(o.subjectLabel(subj)),
				axis: "cost per student (" + cur + ")", format: cost, tick: costTick, none: why("no figure: effect not clearly above 0")})
		}
	}
	c := &Chart{
		Name:      "cost-by-provider",
		Title:     "What the contracts buy, by provider",
		N:         nLine(v, o, "students served"),
		TableNote: t.Note,
		Columns:   2,
	}
	if len(ms) > 4 {
		c.Columns = 3
	}
	cols := []string{"provider", "contract", "students_served", "hours_attended", "students_meeting_target", "total_cost"}
	for _, m := range ms {
		cols = append(cols, m.column)
	}
	c.Data = v.subset(cols...)
	anyGap, err := providerPanels(c, v, o, name, rows, ms)
	if err != nil {
		return nil, err
	}
	if lo, hi, loV, hiV, ok := lowestHighest(v, o, rows, "cost_per_student_served"); !ok {
		c.Reading = "No provider's cost per student served can be shown."
	} else {
		if lo == hi {
			c.Reading = fmt.Sprintf("Tutoring cost %s per student served with %s", cost(hiV), hi)
		} else {
			c.Reading = fmt.Sprintf("Cost per student served ranged from %s (%s) to %s (%s)", cost(loV), lo, cost(hiV), hi)
		}
		if all, ok := totalFigure(v, "cost_per_student_served"); ok {
			c.Reading += fmt.Sprintf("; %s across all providers", cost(all))
		}
		c.Reading += "."
	}
	c.Notes = withheldNotes(rows, "provider", "providers")
	if len(sdSubjects) > 0 {
		c.Notes = append(c.Notes, "Cost per 0.1 SD is given only where the provider's effect is clearly above 0")
	}
	if anyGap {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

// QualityByProvider draws whether the figures can be trusted, per provider
// (the quality table cut by provider): the share of sessions whose student
// id the district knows, and the file rows rejected at loading.
func QualityByProvider(t *metrics.Table, o Options) (*Chart, error) {
	const name = "data quality by provider"
	v, err := read(t, name, "quality", []string{"provider"}, "id_match_rate", "rows_rejected")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "provider")
	o = o.withColors(providersOf(v, rows, "provider"))
	_, hasUnmatched := v.col["sessions_unmatched_id"]
	_, hasRead := v.col["rows_read"]
	ms := []measure{
		{column: "id_match_rate", title: "Sessions whose student the district knows", axis: "id match rate (% of sessions)", rate: true, format: pct,
			text: func(r metrics.Row, x float64) string {
				if u, ok := v.num(r, "sessions_unmatched_id"); ok && hasUnmatched && u > 0 {
					return fmt.Sprintf("%s (%s unmatched)", pct(x), count(u))
				}
				return pct(x)
			},
			none: func(metrics.Row) string { return "no figure: no session" }},
		{column: "rows_rejected", title: "File rows rejected at loading", axis: "rows rejected", format: count,
			text: func(r metrics.Row, x float64) string {
				if n, ok := v.num(r, "rows_read"); ok && hasRead {
					return fmt.Sprintf("%s of %s", count(x), count(n))
				}
				return count(x)
			},
			none: func(metrics.Row) string { return "no figure: files are counted by provider only" }},
	}
	c := &Chart{
		Name:      "quality-by-provider",
		Title:     "Can the figures be trusted? Data quality by provider",
		N:         nLine(v, o, "students"),
		TableNote: t.Note,
		Data:      v.subset("provider", "sessions", "students", "id_match_rate", "sessions_unmatched_id", "rows_read", "rows_rejected", "rows_duplicate", "rows_skipped"),
		Columns:   2,
	}
	if tot, ok := v.total(); ok && tot.Suppressed == "" && o.Scope == "" {
		if s, ok := v.num(tot, "sessions"); ok {
			c.N = fmt.Sprintf("n = %s sessions of %s students", count(s), count(float64(tot.N)))
		}
	}
	anyGap, err := providerPanels(c, v, o, name, rows, ms)
	if err != nil {
		return nil, err
	}

	lo, hi, loV, hiV, ok := lowestHighest(v, o, rows, "id_match_rate")
	unmatched := func(who string) string {
		for _, r := range rows {
			if label(o.Providers, v.str(r, "provider")) == who && r.Suppressed == "" {
				if u, ok := v.num(r, "sessions_unmatched_id"); ok && u > 0 {
					return fmt.Sprintf(", %s %s unmatched", count(u), plural(int(u), "session", "sessions"))
				}
			}
		}
		return ""
	}
	switch {
	case !ok:
		c.Reading = "No provider's id match rate can be shown"
	case loV == 1:
		c.Reading = "Every session's student id matched a student the district knows"
	case lo == hi || loV == hiV:
		c.Reading = fmt.Sprintf("%s of sessions had a student id the district knows", pct(loV))
	default:
		c.Reading = fmt.Sprintf("The id match rate was lowest for %s (%s%s) and highest for %s (%s)", lo, pct(loV), unmatched(lo), hi, pct(hiV))
	}
	// Rejected rows: the total row's count (unless it is the district's
	// beside one school's or provider's rows), and the provider with the most.
	var rejected float64
	hasRejected := false
	if tot, ok := totalFigure(v, "rows_rejected"); ok && o.Scope == "" {
		rejected, hasRejected = tot, true
	} else {
		for _, r := range rows {
			if x, ok := v.num(r, "rows_rejected"); ok && r.Suppressed == "" {
				rejected += x
				hasRejected = true
			}
		}
	}
	if hasRejected {
		_, most, _, mostV, ok := lowestHighest(v, o, rows, "rows_rejected")
		switch {
		case rejected == 0:
			c.Reading += "; no file row was rejected"
		case ok && mostV > 0 && len(rows) > 1:
			c.Reading += fmt.Sprintf("; %s file %s rejected, most from %s (%s)", count(rejected), plural(int(rejected), "row was", "rows were"), most, count(mostV))
		default:
			c.Reading += fmt.Sprintf("; %s file %s rejected", count(rejected), plural(int(rejected), "row was", "rows were"))
		}
	}
	c.Reading += "."
	c.Notes = withheldNotes(rows, "provider", "providers")
	c.Notes = append(c.Notes, "Rejected rows are listed, with the reason, by hitreflect rejects")
	if anyGap {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}
