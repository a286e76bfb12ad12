package charts

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"time"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot"
)

// AttendanceBySchoolProvider draws attendance rate per school and
// provider (the engagement table cut by school,provider): one bar per
// school and provider in the provider's colour, the district's rate as a
// dashed line.
func AttendanceBySchoolProvider(t *metrics.Table, o Options) (*Chart, error) {
	const name = "attendance by school and provider"
	v, err := read(t, name, "engagement", []string{"school", "provider"}, "attendance_rate")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "school", "provider")
	o = o.withColors(providersOf(v, rows, "provider"))

	var groups []group
	index := map[string]int{}
	var providers []string
	seenProvider := map[string]bool{}
	noFigure := 0
	for _, r := range rows {
		school, prov := v.str(r, "school"), v.str(r, "provider")
		clr, err := o.providerColor(name, prov)
		if err != nil {
			return nil, err
		}
		if !seenProvider[prov] {
			seenProvider[prov] = true
			providers = append(providers, prov)
		}
		rate, has := v.num(r, "attendance_rate")
		gap := gapFor(r, has, "no figure: no session held")
		if gap == "no figure: no session held" {
			noFigure++
		}
		s := slot{series: label(o.Providers, prov), color: clr, value: rate, low: rate, high: rate, gap: gap, text: pct(rate), named: true}
		i, ok := index[school]
		if !ok {
			i = len(groups)
			index[school] = i
			groups = append(groups, group{label: schoolLabel(o, school)})
		}
		groups[i].slots = append(groups[i].slots, s)
	}

	c := &Chart{
		Name:      "attendance-by-school-provider",
		Title:     "Attendance by school and provider",
		N:         nLine(v, o, "students served"),
		TableNote: t.Note,
		Data:      v.subset("school", "provider", "students_scheduled", "students_served", "sessions_scheduled", "sessions_attended", "attendance_rate"),
		Columns:   1,
	}
	c.Notes = append(withheldNotes(rows, "group", "groups"), noFigureNote(noFigure, "group", "groups", "every session was cancelled or missed by the tutor")...)
	total, hasTotal := totalFigure(v, "attendance_rate")

	lo, hi := extremes(groups)
	switch {
	case !lo.ok:
		c.Reading = "Every group's attendance is withheld or has no figure."
	case lo.slot.value == hi.slot.value:
		c.Reading = fmt.Sprintf("Attendance was %s in every group shown", pct(hi.slot.value))
	default:
		c.Reading = fmt.Sprintf("Attendance ranged from %s at %s (%s) to %s at %s (%s)",
			pct(lo.slot.value), lo.group, lo.slot.series, pct(hi.slot.value), hi.group, hi.slot.series)
	}
	if lo.ok {
		if hasTotal {
			c.Reading += fmt.Sprintf("; %s across all schools and providers", pct(total))
		}
		c.Reading += "."
	}

	p := newPanel("")
	items, ticks, length := stack(groups, kindBar, false)
	categoryAxis(&p.Y, ticks, 0, length)
	p.X.Label.Text = "Attendance rate: sessions attended ÷ sessions held"
	p.Add(&grid{at: rateAxis(&p.X)})
	if hasTotal {
		p.Add(&refLine{value: total, text: "all: " + pct(total), color: black, dashed: true, width: 3})
	}
	p.Add(&marks{horizontal: true, items: items})
	c.Panels = []*plot.Plot{p}
	c.addPoints("", groups)

	for _, prov := range sortedIDs(providers) {
		c.legend = append(c.legend, legendEntry{kind: legendSwatch, color: o.Colors[prov], text: label(o.Providers, prov)})
	}
	if hasTotal {
		c.legend = append(c.legend, legendEntry{kind: legendDashed, color: black, text: "all schools and providers"})
	}
	if hasGap(groups) {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

// ShareMeetingTargetBySchool draws the share of served students meeting
// the dosage target per school (the engagement table cut by school), the
// district's share as a dashed line. With no dosage target in the config
// the column is empty and the chart is ErrNoFigures.
func ShareMeetingTargetBySchool(t *metrics.Table, o Options) (*Chart, error) {
	const name = "share meeting the target by school"
	v, err := read(t, name, "engagement", []string{"school"}, "share_meeting_target")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "school")
	_, hasCounts := v.col["students_meeting_target"]
	_, hasServed := v.col["students_served"]

	var groups []group
	shown, withheld := 0, 0
	for _, r := range rows {
		share, has := v.num(r, "share_meeting_target")
		gap := gapFor(r, has, "no figure: no student served")
		switch {
		case r.Suppressed != "":
			withheld++
		case has:
			shown++
		}
		text := pct(share)
		if met, ok := v.num(r, "students_meeting_target"); ok && hasCounts && hasServed {
			if served, ok := v.num(r, "students_served"); ok {
				text = fmt.Sprintf("%s (%s of %s)", pct(share), count(met), count(served))
			}
		}
		groups = append(groups, group{label: schoolLabel(o, v.str(r, "school")), slots: []slot{{series: "students meeting the target", color: allColor, value: share, low: share, high: share, gap: gap, text: text}}})
	}
	if shown == 0 && withheld == 0 {
		return nil, fmt.Errorf("%s: no school has a share meeting the target (is a dosage_target set in the config?): %w", name, ErrNoFigures)
	}

	c := &Chart{
		Name:      "share-meeting-target-by-school",
		Title:     "Students getting the full dosage, by school",
		N:         nLine(v, o, "students served"),
		TableNote: t.Note,
		Data:      v.subset("school", "students_served", "students_meeting_target", "share_meeting_target", "sessions_per_week", "minutes_per_week"),
		Columns:   1,
	}
	c.Notes = withheldNotes(rows, "school", "schools")
	c.Notes = append(c.Notes, "Meeting the target means both the sessions and the minutes a week the target asks for")
	total, hasTotal := totalFigure(v, "share_meeting_target")
	lo, hi := extremes(groups)
	switch {
	case !lo.ok:
		c.Reading = "Every school's share meeting the target is withheld."
	case lo.group == hi.group: // one school shown: a school's own packet
		c.Reading = fmt.Sprintf("%s of students served met the dosage target at %s", pct(hi.slot.value), hi.group)
	case lo.slot.value == hi.slot.value:
		c.Reading = fmt.Sprintf("%s of students served met the dosage target in every school shown", pct(hi.slot.value))
	default:
		c.Reading = fmt.Sprintf("The share of students served who met the dosage target ranged from %s at %s to %s at %s",
			pct(lo.slot.value), lo.group, pct(hi.slot.value), hi.group)
	}
	if lo.ok {
		if hasTotal {
			c.Reading += fmt.Sprintf("; %s across the district", pct(total))
		}
		c.Reading += "."
	}

	p := newPanel("")
	items, ticks, length := stack(groups, kindBar, false)
	categoryAxis(&p.Y, ticks, 0, length)
	p.X.Label.Text = "Students meeting the dosage target (% of students served)"
	largest := total
	for _, it := range items {
		if it.gap == "" {
			largest = math.Max(largest, it.value)
		}
	}
	p.Add(&grid{at: shareAxis(&p.X, largest)})
	if hasTotal {
		p.Add(&refLine{value: total, text: "district: " + pct(total), color: black, dashed: true, width: 3})
		c.legend = append(c.legend, legendEntry{kind: legendDashed, color: black, text: "the whole district"})
	}
	p.Add(&marks{horizontal: true, items: items})
	if hasGap(groups) {
		c.legend = append(c.legend, withheldLegend())
	}
	c.Panels = []*plot.Plot{p}
	c.addPoints("", groups)
	return c, nil
}

// WeeklyMinutes draws the spread of weekly minutes per served student for
// each provider (the engagement table cut by provider): a box from the
// 25th to the 75th percentile with a line at the median, all providers in
// grey, and the dosage target's minutes as a dashed line. target is the
// config's dosage_target.minutes_per_week; 0 draws no target.
func WeeklyMinutes(t *metrics.Table, target float64, o Options) (*Chart, error) {
	const name = "weekly minutes by provider"
	if math.IsNaN(target) || math.IsInf(target, 0) || target < 0 {
		return nil, fmt.Errorf("%s: the target must be a number of minutes, 0 or more, got %v", name, target)
	}
	v, err := read(t, name, "engagement", []string{"provider"}, "minutes_per_week_p25", "minutes_per_week_median", "minutes_per_week_p75")
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "provider")
	o = o.withColors(providersOf(v, rows, "provider"))
	var groups []group
	maxV := target
	addRow := func(r metrics.Row, lbl string, clr color.Color) {
		p25, ok1 := v.num(r, "minutes_per_week_p25")
		med, ok2 := v.num(r, "minutes_per_week_median")
		p75, ok3 := v.num(r, "minutes_per_week_p75")
		gap := gapFor(r, ok1 && ok2 && ok3, "no figure: no student served")
		if gap == "" {
			maxV = math.Max(maxV, p75)
		}
		groups = append(groups, group{label: lbl, slots: []slot{{series: lbl, color: clr, value: med, low: p25, high: p75, gap: gap}}})
	}
	for _, r := range rows {
		prov := v.str(r, "provider")
		clr, err := o.providerColor(name, prov)
		if err != nil {
			return nil, err
		}
		addRow(r, label(o.Providers, prov), clr)
	}
	total, hasTotal := v.total()
	if hasTotal {
		addRow(total, "All providers", allColor)
	}

	c := &Chart{
		Name:      "weekly-minutes-by-provider",
		Title:     "Minutes of tutoring a week, by provider",
		N:         nLine(v, o, "students served"),
		TableNote: t.Note,
		Data:      v.subset("provider", "students_served", "minutes_per_week", "minutes_per_week_p25", "minutes_per_week_median", "minutes_per_week_p75", "share_meeting_target"),
		Columns:   1,
	}
	c.Notes = withheldNotes(rows, "provider", "providers")
	if target > 0 {
		c.Notes = append(c.Notes, "The target may also ask for a number of sessions a week; this chart shows minutes only")
	}

	// The reading compares the providers' medians (not the all-providers box).
	provGroups := groups
	if hasTotal {
		provGroups = groups[:len(groups)-1]
	}
	lo, hi := extremes(provGroups)
	switch {
	case !lo.ok:
		c.Reading = "Every provider's weekly minutes are withheld."
	case len(provGroups) == 1 || lo.slot.value == hi.slot.value:
		c.Reading = fmt.Sprintf("Half of %s's students served got at least %s minutes of tutoring a week", hi.group, minutes(hi.slot.value))
	default:
		c.Reading = fmt.Sprintf("The median student served got from %s minutes a week (%s) to %s (%s)",
			minutes(lo.slot.value), lo.group, minutes(hi.slot.value), hi.group)
	}
	if lo.ok {
		if target > 0 {
			c.Reading += fmt.Sprintf(", against a target of %s", minutes(target))
		}
		c.Reading += "."
	}

	p := newPanel("")
	items, ticks, length := stack(groups, kindBox, true)
	for i := range items {
		items[i].thick = 0.5
	}
	// The median goes under the provider's name, clear of the boxes.
	for i, g := range groups {
		if s := g.slots[0]; s.gap == "" {
			ticks[i].Label += "\nmedian " + minutes(s.value)
		}
	}
	categoryAxis(&p.X, ticks, -0.1, length+0.1)
	p.Y.Label.Text = "Minutes attended a week, per student served"
	p.Add(&grid{horizontal: true, at: valueAxis(&p.Y, 0, niceMax(maxV*1.1), minutes)})
	p.Add(&marks{items: items})
	if target > 0 {
		p.Add(&refLine{horizontal: true, value: target, color: black, dashed: true, width: 3})
	}
	c.Panels = []*plot.Plot{p}
	c.addPoints("", groups)
	c.legend = []legendEntry{{kind: legendBox, color: midGrey, text: "middle half of students (25th to 75th percentile), line at the median"}}
	if target > 0 {
		c.legend = append(c.legend, legendEntry{kind: legendDashed, color: black, text: "dosage target: " + minutes(target) + " minutes"})
	}
	if hasGap(groups) {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

// WeeklyAttendanceTrend draws each provider's attendance rate week by
// week (the engagement table cut by week,provider).
func WeeklyAttendanceTrend(t *metrics.Table, o Options) (*Chart, error) {
	return weeklyTrend(t, o, trendSpec{
		chart: "weekly attendance by provider", name: "weekly-attendance-trend",
		title: "Attendance week by week, by provider", column: "attendance_rate",
		axis: "Attendance rate (% of sessions held)", what: "attendance", rate: true,
	})
}

// WeeklyMinutesTrend draws each provider's minutes attended per student
// served, week by week (the engagement table cut by week,provider).
func WeeklyMinutesTrend(t *metrics.Table, o Options) (*Chart, error) {
	return weeklyTrend(t, o, trendSpec{
		chart: "weekly minutes by provider", name: "weekly-minutes-trend",
		title: "Minutes of tutoring per student, week by week", column: "minutes_per_student_served",
		axis: "Minutes attended per student served", what: "minutes per student served",
	})
}

type trendSpec struct {
	chart, name, title, column, axis, what string
	rate                                   bool
}

const day = 24 * time.Hour

func weeklyTrend(t *metrics.Table, o Options, s trendSpec) (*Chart, error) {
	v, err := read(t, s.chart, "engagement", []string{"week", "provider"}, s.column)
	if err != nil {
		return nil, err
	}
	rows := sortRows(v, v.groups(), "provider", "week")
	o = o.withColors(providersOf(v, rows, "provider"))
	format := minutes
	if s.rate {
		format = pct
	}
	xOf := func(d time.Time) float64 { return float64(d.Unix()) / 86400 }

	var series []namedSeries
	gapAt := map[float64]int{} // x -> index in gaps
	var gaps []trendGap
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	c := &Chart{
		Name:      s.name,
		Title:     s.title,
		N:         nLine(v, o, "students served over the period"),
		TableNote: t.Note,
		Data:      v.subset("provider", "week", "students_scheduled", "students_served", "sessions_scheduled", "sessions_attended", s.column),
		Columns:   1,
	}
	for _, r := range rows {
		prov := v.str(r, "provider")
		wk, ok := v.week(r, "week")
		if !ok {
			continue // a session with no week cannot be placed (never from metrics)
		}
		x := xOf(wk)
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		y, has := v.num(r, s.column)
		gap := gapFor(r, has, "no figure")
		if len(series) == 0 || series[len(series)-1].id != prov {
			series = append(series, namedSeries{id: prov, name: label(o.Providers, prov)})
		}
		cur := &series[len(series)-1]
		cur.pts = append(cur.pts, trendPoint{x: x, y: y, ok: gap == ""})
		if r.Suppressed != "" {
			if i, ok := gapAt[x]; ok {
				gaps[i].text += ", " + label(o.Providers, prov)
			} else {
				gapAt[x] = len(gaps)
				gaps = append(gaps, trendGap{x: x, text: "withheld: " + label(o.Providers, prov)})
			}
		}
		if gap == "" {
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
		pt := Point{Series: label(o.Providers, prov), Category: wk.Format("2006-01-02"), Value: y, Low: y, High: y, Gap: gap}
		if gap != "" {
			pt.Value, pt.Low, pt.High = 0, 0, 0
		}
		c.Points = append(c.Points, pt)
	}
	if math.IsInf(minX, 1) {
		return nil, fmt.Errorf("%s: no row has a week: %w", s.chart, ErrNoFigures)
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i].x < gaps[j].x })

	tr := &trend{gaps: gaps, halfWidth: 3.5, maxStep: 7.5}
	for _, ps := range series {
		clr, err := o.providerColor(s.chart, ps.id)
		if err != nil {
			return nil, err
		}
		tr.series = append(tr.series, trendSeries{color: clr, pts: ps.pts})
		c.legend = append(c.legend, legendEntry{kind: legendLine, color: clr, text: label(o.Providers, ps.id)})
	}
	if len(gaps) > 0 {
		c.legend = append(c.legend, withheldLegend())
	}
	c.Notes = withheldNotes(rows, "provider-week", "provider-weeks")
	c.Reading = trendReading(s, series, format)

	p := newPanel("")
	p.X.Label.Text = "Week"
	p.X.Min, p.X.Max = minX-3.5, maxX+3.5
	p.X.Tick.Marker = plot.ConstantTicks(weekTicks(minX-3.5, maxX+3.5))
	p.Y.Label.Text = s.axis
	var at []float64
	switch {
	case math.IsInf(minY, 1) && s.rate:
		at = rateAxis(&p.Y)
	case math.IsInf(minY, 1):
		at = valueAxis(&p.Y, 0, 100, format)
	case s.rate:
		// a rate's changes show better from just under its lowest week
		lo := math.Max(0, math.Floor(minY*10-0.5)/10)
		at = valueAxis(&p.Y, lo, 1, format)
	default:
		at = valueAxis(&p.Y, 0, niceMax(maxY*1.05), format)
	}
	p.Add(&grid{horizontal: true, at: at})
	p.Add(tr)
	c.Panels = []*plot.Plot{p}
	return c, nil
}

// namedSeries is a provider's weekly figures.
type namedSeries struct {
	id, name string
	pts      []trendPoint
}

// trendReading says which provider's figure moved most over the last four
// weeks shown: "Attendance at BrightPath fell from 84% to 71% over the
// last four weeks (Mar 2 to Mar 30)."
func trendReading(s trendSpec, series []namedSeries, format func(float64) string) string {
	last := math.Inf(-1)
	for _, sr := range series {
		for _, p := range sr.pts {
			if p.ok {
				last = math.Max(last, p.x)
			}
		}
	}
	if math.IsInf(last, -1) {
		return fmt.Sprintf("Every week's %s is withheld.", s.what)
	}
	from := last - 28
	type move struct {
		name       string
		x0, x1     float64
		y0, y1     float64
		ok         bool
		magnitude  float64
		singleWeek bool
	}
	var best move
	for _, sr := range series {
		var m move
		for _, p := range sr.pts {
			if !p.ok || p.x < from-0.5 {
				continue
			}
			if !m.ok {
				m = move{name: sr.name, x0: p.x, y0: p.y, ok: true}
			}
			m.x1, m.y1 = p.x, p.y
		}
		if !m.ok || m.x1 == m.x0 {
			continue
		}
		m.magnitude = math.Abs(m.y1 - m.y0)
		if !best.ok || m.magnitude > best.magnitude {
			best = m
		}
	}
	date := func(x float64) string { return weekLabel(time.Unix(int64(x*86400), 0).UTC()) }
	if !best.ok {
		return fmt.Sprintf("Too few weeks are shown to tell how %s moved over the last four weeks.", s.what)
	}
	steady := best.magnitude < 0.01
	if !s.rate {
		steady = best.magnitude < 1
	}
	span := fmt.Sprintf("(weeks of %s to %s)", date(best.x0), date(best.x1))
	if steady {
		who := "for every provider"
		if len(series) == 1 { // a provider's own packet
			who = "at " + series[0].name
		}
		return capitalize(fmt.Sprintf("%s held steady %s over the last four weeks %s.", s.what, who, span))
	}
	verb := "rose"
	if best.y1 < best.y0 {
		verb = "fell"
	}
	subject := capitalize(s.what) + " at " + best.name
	if len(series) > 1 {
		return fmt.Sprintf("%s moved most over the last four weeks: it %s from %s to %s %s.", subject, verb, format(best.y0), format(best.y1), span)
	}
	return fmt.Sprintf("%s %s from %s to %s over the last four weeks %s.", subject, verb, format(best.y0), format(best.y1), span)
}

// weekTicks label the weeks of a short period ("Sep 8", "Sep 15": every
// week up to ten, every other week up to about four months), and the
// months of a longer one.
func weekTicks(min, max float64) []plot.Tick {
	weeks := (max - min) / 7
	if weeks > 18 {
		return monthTicks(min, max)
	}
	step := 7.0
	if weeks > 10 {
		step = 14
	}
	var out []plot.Tick
	for x := min + 3.5; x <= max; x += step {
		out = append(out, plot.Tick{Value: x, Label: weekLabel(time.Unix(int64(math.Round(x*86400)), 0).UTC())})
	}
	return out
}

// monthTicks label the first day of each month in [min, max] (days since
// 1970): "Sep 2025", "Oct", ..., "Jan 2026".
func monthTicks(min, max float64) []plot.Tick {
	start := time.Unix(int64(min*86400), 0).UTC()
	d := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []plot.Tick
	first := true
	for ; ; d = d.AddDate(0, 1, 0) {
		x := float64(d.Unix()) / 86400
		if x > max {
			break
		}
		if x < min {
			continue
		}
		lbl := d.Format("Jan")
		if first || d.Month() == time.January {
			lbl = d.Format("Jan 2006")
		}
		first = false
		out = append(out, plot.Tick{Value: x, Label: lbl})
	}
	return out
}

// totalFigure is a figure of the table's total row, when it has one shown.
func totalFigure(v *view, column string) (float64, bool) {
	tot, ok := v.total()
	if !ok || tot.Suppressed != "" {
		return 0, false
	}
	return v.num(tot, column)
}

// schoolLabel names a school, or says it has none.
func schoolLabel(o Options, id string) string {
	if id == "" {
		return "no school"
	}
	return label(o.Schools, id)
}

func sortedIDs(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}
