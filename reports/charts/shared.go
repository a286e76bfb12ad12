package charts

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot"
)

// pairModel is the impact table's model for two providers in the schools
// they share (pipeline/metrics/impact.go): "A vs B in their N shared
// schools", or "... shared school" for one.
var pairModel = regexp.MustCompile(`^(.+) vs (.+) in their (\d+) shared schools?$`)

// sharedPair is one pair of providers and its impact rows, one per subject
// (and assessment).
type sharedPair struct {
	a, b    string // provider ids: the estimate is a rather than b
	schools int
	rows    []metrics.Row
}

// SharedSchools draws, for each pair of providers that serve the same
// schools, the adjusted effect of one rather than the other with its 95%
// interval (the impact table's "A vs B in their N shared schools" rows), and
// beside it each provider's attendance rate and minutes a week in those
// schools only (the engagement table cut by school,provider, the rows of
// the schools where both providers have rows, weighted by students
// served). It names two providers: it belongs in the district packet only.
func SharedSchools(impact, engagement *metrics.Table, o Options) (*Chart, error) {
	const name = "providers in shared schools"
	iv, err := read(headlineRows(impact), name, "impact", []string{"subject", "assessment", "design", "model", "term"}, impactColumns...)
	if err != nil {
		return nil, err
	}
	ev, err := read(engagement, name, "engagement", []string{"school", "provider"}, "students_served", "attendance_rate", "minutes_per_week")
	if err != nil {
		return nil, err
	}
	var pairs []*sharedPair
	index := map[string]*sharedPair{}
	for _, r := range iv.t.Rows {
		m := pairModel.FindStringSubmatch(iv.str(r, "model"))
		if m == nil {
			continue
		}
		p, ok := index[m[0]]
		if !ok {
			n, _ := strconv.Atoi(m[3])
			p = &sharedPair{a: m[1], b: m[2], schools: n}
			index[m[0]] = p
			pairs = append(pairs, p)
		}
		p.rows = append(p.rows, r)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%s: the impact table has no comparison of providers in shared schools: %w", name, ErrNoFigures)
	}
	var ids []string
	for _, p := range pairs {
		ids = append(ids, p.a, p.b)
	}
	o = o.withColors(ids)
	subjects := map[string]bool{}
	for _, p := range pairs {
		for _, r := range p.rows {
			subjects[iv.str(r, "subject")+"\x00"+iv.str(r, "assessment")] = true
		}
	}

	c := &Chart{
		Name:      "providers-in-shared-schools",
		Title:     "Providers in the schools they share: effect, attendance and minutes",
		TableNote: withoutCaveat(impact.Note),
		Data: iv.subsetRows(func(r metrics.Row) bool { return pairModel.MatchString(iv.str(r, "model")) },
			impactData...),
		Columns: 3,
		widths:  []float64{2.2, 1, 1},
	}

	// The engagement rows of each provider, by school.
	engRows := map[string]map[string]metrics.Row{} // provider -> school -> row
	for _, r := range ev.groups() {
		prov, school := ev.str(r, "provider"), ev.str(r, "school")
		if engRows[prov] == nil {
			engRows[prov] = map[string]metrics.Row{}
		}
		engRows[prov][school] = r
	}
	// engagementOf is a provider's attendance and minutes over the schools
	// it shares with other, weighted by students served.
	type figure struct {
		value float64
		gap   string
	}
	leftOut := 0
	engagementOf := func(prov, other, column string, count bool) figure {
		var sum, weight float64
		why := ""
		for _, school := range sortedIDs(keys(engRows[prov])) {
			r := engRows[prov][school]
			if _, shared := engRows[other][school]; !shared {
				continue
			}
			if r.Suppressed != "" {
				if why == "" || gapText(r.Suppressed) < why {
					why = gapText(r.Suppressed)
				}
				if count {
					leftOut++
				}
				continue
			}
			x, ok1 := ev.num(r, column)
			w, ok2 := ev.num(r, "students_served")
			if ok1 && ok2 && w > 0 {
				sum += x * w
				weight += w
			}
		}
		if weight == 0 {
			if why == "" {
				why = "no figure: no student served"
			}
			return figure{gap: why}
		}
		return figure{value: sum / weight}
	}

	var forest, attendance, mins []group
	var phrases, nParts []string
	var forestRows []metrics.Row
	xlo, xhi, largestMin := 0.0, 0.0, 0.0
	shown, crossing := 0, 0
	for _, p := range pairs {
		an, bn := label(o.Providers, p.a), label(o.Providers, p.b)
		where := fmt.Sprintf("%d shared %s", p.schools, plural(p.schools, "school", "schools"))
		pairLabel := an + "\nvs " + bn + "\n(" + where + ")"
		g := group{label: pairLabel}
		for _, r := range p.rows {
			forestRows = append(forestRows, r)
			subj := o.subjectLabel(iv.str(r, "subject"))
			s := estimateSlot(iv, r, subj, black)
			s.text = subj + " " + sd(s.value)
			s.named = len(p.rows) > 1
			g.slots = append(g.slots, s)
			if s.gap != "" {
				continue
			}
			shown++
			xlo, xhi = math.Min(xlo, s.low), math.Max(xhi, s.high)
			if s.low <= 0 && s.high >= 0 {
				crossing++
			}
			more := "more"
			if s.value < 0 {
				more = "less"
			}
			in := ""
			if len(subjects) > 1 {
				in = " in " + lowerName(subj)
			}
			phrases = append(phrases, fmt.Sprintf("in their %s, %s's students grew %s SD %s than %s's%s [%s, %s]",
				where, an, strconv.FormatFloat(math.Abs(s.value), 'f', 2, 64), more, bn, in, sd(s.low), sd(s.high)))
			if nt, ok := iv.num(r, "n_tutored"); ok {
				if nc, ok := iv.num(r, "n_comparison"); ok {
					part := fmt.Sprintf("%s %s and %s %s students", count(nt), an, count(nc), bn)
					if len(subjects) > 1 {
						part += " (" + lowerName(subj) + ")"
					}
					nParts = append(nParts, part)
				}
			}
		}
		forest = append(forest, g)

		ag, mg := group{label: pairLabel}, group{label: pairLabel}
		for k, prov := range []string{p.a, p.b} {
			other := p.b
			if k == 1 {
				other = p.a
			}
			clr, err := o.providerColor(name, prov)
			if err != nil {
				return nil, err
			}
			pn := label(o.Providers, prov)
			att := engagementOf(prov, other, "attendance_rate", true)
			mn := engagementOf(prov, other, "minutes_per_week", false)
			ag.slots = append(ag.slots, slot{series: pn, color: clr, value: att.value, low: att.value, high: att.value, gap: att.gap, text: pct(att.value), named: true})
			mg.slots = append(mg.slots, slot{series: pn, color: clr, value: mn.value, low: mn.value, high: mn.value, gap: mn.gap, text: minutes(mn.value), named: true})
			if mn.gap == "" {
				largestMin = math.Max(largestMin, mn.value)
			}
		}
		attendance = append(attendance, ag)
		mins = append(mins, mg)
	}

	if len(phrases) == 0 {
		c.Reading = "Every comparison of providers in shared schools is withheld or not estimable."
	} else {
		c.Reading = capitalize(strings.Join(phrases, "; ")) + "."
	}
	if len(nParts) > 0 {
		c.N = "n = " + strings.Join(nParts, "; ")
	}
	c.Notes = withheldNotes(forestRows, "estimate", "estimates")
	if crossing > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d of %d intervals include 0: no clear difference there", crossing, shown))
	}
	c.Notes = append(c.Notes, "Attendance and minutes: each provider's rows in the schools both have rows in, weighted by students served")
	if leftOut > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d withheld school %s left out of those figures", leftOut, plural(leftOut, "row", "rows")))
	}
	c.Notes = append(c.Notes, "Observational, not causal")

	xlo, xhi = padRange(xlo, xhi, 0.5)

	// The three panels share their rows when every pair has two subjects:
	// the side panels then leave the pairs' names to the first.
	aligned := true
	for _, g := range forest {
		if len(g.slots) != 2 {
			aligned = false
		}
	}
	side := func(gs []group) []group {
		if !aligned {
			return gs
		}
		out := make([]group, len(gs))
		for i, g := range gs {
			out[i] = group{label: "", slots: g.slots}
		}
		return out
	}
	c.addPoints("effect", forest)
	c.addPoints("attendance", attendance)
	c.addPoints("minutes a week", mins)
	attendance, mins = side(attendance), side(mins)

	fp := newPanel("Effect (SD)")
	items, ticks, length := stack(forest, kindEstimate, false)
	categoryAxis(&fp.Y, ticks, 0, length)
	fp.X.Label.Text = "First rather than second, 95% interval"
	fp.Add(&grid{at: valueAxis(&fp.X, xlo, xhi, sdTick)})
	fp.Add(&refLine{value: 0, color: darkGrey, width: 3})
	fp.Add(&marks{horizontal: true, items: items})

	ap := newPanel("Attendance rate")
	items, ticks, length = stack(attendance, kindBar, false)
	categoryAxis(&ap.Y, ticks, 0, length)
	ap.X.Label.Text = "Sessions attended ÷ held"
	ap.X.Min, ap.X.Max = 0, 1
	ap.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0%"}, {Value: 0.5, Label: "50%"}, {Value: 1, Label: "100%"}})
	ap.Add(&grid{at: []float64{0, 0.25, 0.5, 0.75, 1}})
	ap.Add(&marks{horizontal: true, items: items})

	mp := newPanel("Minutes a week")
	items, ticks, length = stack(mins, kindBar, false)
	categoryAxis(&mp.Y, ticks, 0, length)
	mp.X.Label.Text = "Minutes per student served"
	mp.Add(&grid{at: valueAxis(&mp.X, 0, niceMax(largestMin*1.1), func(x float64) string { return minutes(x) })})
	mp.Add(&marks{horizontal: true, items: items})

	c.Panels = append(c.Panels, fp, ap, mp)

	c.legend = []legendEntry{
		{kind: legendEstimate, color: black, text: "estimate and 95% interval"},
		{kind: legendRule, color: darkGrey, text: "0: no difference"},
	}
	seen := map[string]bool{}
	var provs []string
	for _, p := range pairs {
		for _, id := range []string{p.a, p.b} {
			if !seen[id] {
				seen[id] = true
				provs = append(provs, id)
			}
		}
	}
	for _, id := range sortedIDs(provs) {
		c.legend = append(c.legend, legendEntry{kind: legendSwatch, color: o.Colors[id], text: label(o.Providers, id)})
	}
	if hasGap(forest) || hasGap(attendance) || hasGap(mins) {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
