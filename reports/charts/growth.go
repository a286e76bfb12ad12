package charts

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot"
)

// Tutored and comparison students are groups, not providers: they take
// colours no provider has.
var (
	tutoredColor    = black
	comparisonColor = midGrey
)

const growthNote = "Descriptive, not causal; see the impact page"

// GrowthBySchool draws, per school, the mean scale-score gain of tutored
// and of comparison students with its 95% interval (the growth table cut
// by school: one row per school and group, gain_ci_low and gain_ci_high).
// It is descriptive: the groups are not matched, the impact page is.
func GrowthBySchool(t *metrics.Table, o Options) (*Chart, error) {
	const name = "growth by school"
	v, err := read(t, name, "growth", []string{"school", "group"}, "mean_scale_score_gain", "gain_ci_low", "gain_ci_high")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "school")

	var groups []group
	index := map[string]int{}
	noFigure := 0
	for _, r := range rows {
		school, grp := v.str(r, "school"), v.str(r, "group")
		var series string
		clr := tutoredColor
		switch grp {
		case "tutored":
			series = "tutored"
		case "comparison":
			series, clr = "comparison", comparisonColor
		default:
			return nil, fmt.Errorf("%s: growth row with group %q, want tutored or comparison", name, grp)
		}
		gain, has := v.num(r, "mean_scale_score_gain")
		gap := gapFor(r, has, "no figure: no test scores")
		if r.Suppressed == "" && !has {
			noFigure++
		}
		lo, okLo := v.num(r, "gain_ci_low")
		hi, okHi := v.num(r, "gain_ci_high")
		if !okLo || !okHi {
			lo, hi = gain, gain
		}
		s := slot{series: series, color: clr, value: gain, low: lo, high: hi, gap: gap, text: points(gain), named: true}
		i, ok := index[school]
		if !ok {
			i = len(groups)
			index[school] = i
			groups = append(groups, group{label: schoolLabel(o, school)})
		}
		groups[i].slots = append(groups[i].slots, s)
	}
	// tutored first, then comparison, in every school
	for i := range groups {
		sl := groups[i].slots
		for j := 1; j < len(sl); j++ {
			if sl[j].series == "tutored" && sl[j-1].series == "comparison" {
				sl[j], sl[j-1] = sl[j-1], sl[j]
			}
		}
	}

	c := &Chart{
		Name:      "growth-by-school",
		Title:     "Growth of tutored and comparison students, by school",
		TableNote: t.Note,
		Data:      v.subset("school", "group", "students", "mean_scale_score_gain", "gain_ci_low", "gain_ci_high", "mean_percentile_change", "share_at_benchmark_baseline", "share_at_benchmark_outcome"),
		Columns:   1,
	}

	// The reading: in how many schools tutored students gained more.
	more, both := 0, 0
	for _, g := range groups {
		var tu, co *slot
		for k := range g.slots {
			s := &g.slots[k]
			if s.gap != "" {
				continue
			}
			if s.series == "tutored" {
				tu = s
			} else {
				co = s
			}
		}
		if tu != nil && co != nil {
			both++
			if tu.value > co.value {
				more++
			}
		}
	}
	if both == 0 {
		c.Reading = "No school shows both a tutored and a comparison figure: they are withheld or missing."
	} else {
		c.Reading = fmt.Sprintf("Tutored students gained more than comparison students in %d of %d %s", more, both, plural(both, "school", "schools"))
		if both < len(groups) {
			c.Reading += " with both figures shown"
		}
		var tuTot, coTot float64
		var hasTu, hasCo bool
		for _, r := range v.t.Rows {
			if !r.Total || r.Suppressed != "" {
				continue
			}
			g, ok := v.num(r, "mean_scale_score_gain")
			switch v.str(r, "group") {
			case "tutored":
				tuTot, hasTu = g, ok
			case "comparison":
				coTot, hasCo = g, ok
			}
		}
		if hasTu && hasCo {
			c.Reading += fmt.Sprintf("; across the district, %s points against %s", points(tuTot), points(coTot))
		}
		c.Reading += "."
	}

	// n: the total rows of each group, else (and in a school's packet,
	// where the totals are the district's) the rows shown.
	var nParts []string
	for _, grp := range []string{"tutored", "comparison"} {
		var n int64
		found := false
		for _, r := range v.t.Rows {
			if r.Total && v.str(r, "group") == grp && r.Suppressed == "" && o.Scope == "" {
				n, found = r.N, true
			}
		}
		if !found {
			for _, r := range rows {
				if v.str(r, "group") == grp && r.Suppressed == "" {
					n += r.N
				}
			}
		}
		nParts = append(nParts, fmt.Sprintf("%s %s", count(float64(n)), grp))
	}
	c.N = "n = " + strings.Join(nParts, " and ") + " students with both tests"
	c.Notes = append(withheldNotes(rows, "group", "groups"), noFigureNote(noFigure, "group", "groups", "no student with both tests")...)
	c.Notes = append(c.Notes, "Mean scale-score gain, baseline to outcome test, with its 95% interval", growthNote)

	xlo, xhi := 0.0, 0.0
	for _, g := range groups {
		for _, s := range g.slots {
			if s.gap == "" {
				xlo, xhi = math.Min(xlo, s.low), math.Max(xhi, s.high)
			}
		}
	}
	xlo, xhi = padRange(xlo, xhi, 1)

	p := newPanel("")
	items, ticks, length := stack(groups, kindEstimate, false)
	categoryAxis(&p.Y, ticks, 0, length)
	p.X.Label.Text = "Mean scale-score gain (points), with its 95% interval"
	p.Add(&grid{at: valueAxis(&p.X, xlo, xhi, pointsTick)})
	p.Add(&refLine{value: 0, color: darkGrey, width: 3})
	p.Add(&marks{horizontal: true, items: items})
	c.Panels = []*plot.Plot{p}
	c.addPoints("", groups)

	c.legend = []legendEntry{
		{kind: legendEstimate, color: tutoredColor, text: "tutored students"},
		{kind: legendEstimate, color: comparisonColor, text: "comparison students"},
		{kind: legendRule, color: darkGrey, text: "0: no gain"},
	}
	if hasGap(groups) {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

// points writes a gain in scale-score points, one decimal, signed.
func points(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	if x > 0 && s != "0.0" {
		s = "+" + s
	}
	return s
}

func pointsTick(x float64) string {
	s := strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64)
	if s == "-0" {
		s = "0"
	}
	return s
}
