package charts

import (
	"fmt"
	"math"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// CoverageBySchool draws the share of eligible students tutored per school
// and subject (the coverage table cut by school,subject), for choosing
// where to expand: one panel per subject, one bar per school, the
// district's coverage (all subjects) as a dashed line. Coverage is about
// students, not providers, so its bars are grey.
func CoverageBySchool(t *metrics.Table, o Options) (*Chart, error) {
	const name = "coverage by school"
	v, err := read(t, name, "coverage", []string{"school", "subject"}, "coverage")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "subject", "school")

	var subjects []string
	bySubject := map[string][]group{}
	noFigure := 0
	largest := 0.0
	for _, r := range rows {
		school, subject := v.str(r, "school"), v.str(r, "subject")
		if _, ok := bySubject[subject]; !ok {
			subjects = append(subjects, subject)
		}
		cov, has := v.num(r, "coverage")
		gap := gapFor(r, has, "no figure: no eligible student")
		if r.Suppressed == "" && !has {
			noFigure++
		}
		text := pct(cov)
		if served, ok := v.num(r, "eligible_served"); ok {
			if eligible, ok := v.num(r, "eligible"); ok {
				text = fmt.Sprintf("%s (%s of %s)", pct(cov), count(served), count(eligible))
			}
		}
		if gap == "" {
			largest = math.Max(largest, cov)
		}
		bySubject[subject] = append(bySubject[subject], group{label: schoolLabel(o, school),
			slots: []slot{{series: o.subjectLabel(subject), color: allColor, value: cov, low: cov, high: cov, gap: gap, text: text}}})
	}

	c := &Chart{
		Name:      "coverage-by-school",
		Title:     "Eligible students reached, by school",
		TableNote: t.Note,
		Data:      v.subset("school", "subject", "students", "eligible", "eligible_served", "coverage", "served", "targeting"),
		Columns:   len(subjects),
	}
	c.N = nLine(v, o, "students, counted once per subject")
	if tot, ok := v.total(); ok && tot.Suppressed == "" && o.Scope == "" {
		if e, ok := v.num(tot, "eligible"); ok {
			c.N = fmt.Sprintf("n = %s eligible students, counted once per subject", count(e))
		}
	}
	c.Notes = append(withheldNotes(rows, "school and subject", "schools and subjects"),
		noFigureNote(noFigure, "school and subject", "schools and subjects", "no eligible student")...)
	c.Notes = append(c.Notes, "Eligible: below the eligibility percentile on the year's first test")

	total, hasTotal := totalFigure(v, "coverage")
	var all []group
	for _, s := range subjects {
		for _, g := range bySubject[s] {
			all = append(all, group{label: g.label + ", " + lowerName(g.slots[0].series), slots: g.slots})
		}
	}
	lo, hi := extremes(all)
	switch {
	case !lo.ok:
		c.Reading = "Every school's coverage is withheld or has no figure."
	case lo.slot.value == hi.slot.value:
		c.Reading = fmt.Sprintf("Coverage of eligible students was %s in every school and subject shown", pct(hi.slot.value))
	default:
		c.Reading = fmt.Sprintf("Coverage of eligible students ranged from %s (%s) to %s (%s)",
			pct(lo.slot.value), lo.group, pct(hi.slot.value), hi.group)
	}
	if lo.ok {
		if hasTotal {
			c.Reading += fmt.Sprintf("; %s across the district", pct(total))
		}
		c.Reading += "."
	}

	anyGap := false
	for _, s := range subjects {
		groups := bySubject[s]
		p := newPanel(o.subjectLabel(s))
		items, ticks, length := stack(groups, kindBar, false)
		categoryAxis(&p.Y, ticks, 0, length)
		p.X.Label.Text = "Eligible students tutored (%)"
		p.Add(&grid{at: shareAxis(&p.X, math.Max(largest, total))})
		if hasTotal {
			p.Add(&refLine{value: total, text: "district: " + pct(total), color: black, dashed: true, width: 3})
		}
		p.Add(&marks{horizontal: true, items: items})
		c.Panels = append(c.Panels, p)
		panel := o.subjectLabel(s)
		if len(subjects) == 1 {
			panel = ""
		}
		c.addPoints(panel, groups)
		anyGap = anyGap || hasGap(groups)
	}
	if hasTotal {
		c.legend = append(c.legend, legendEntry{kind: legendDashed, color: black, text: "the whole district, all subjects"})
	}
	if anyGap {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}
