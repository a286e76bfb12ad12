package charts

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// The impact table's model names (pipeline/metrics/impact.go).
const (
	modelOverall  = "tutored vs comparison"
	modelDose     = "dose-response by hours"
	modelProvider = "provider "
)

var impactColumns = []string{"design", "effect_sd", "ci_low", "ci_high", "n_tutored", "n_comparison"}

// impactData are the impact columns a chart's table shows.
var impactData = []string{"subject", "assessment", "design", "model", "term", "effect_sd", "std_error", "ci_low", "ci_high", "p_value",
	"cluster_std_error", "cluster_ci_low", "cluster_ci_high", "n_tutored", "n_comparison", "n_comparison_effective",
	"unadjusted_difference_sd", "baseline_difference_sd", "baseline_equivalence", "note"}

const observationalNote = "Observational, not causal: tutored students against untutored students of the same grade matched on their baseline scores, in the same school where possible, and adjusted for those scores"

// headlineRows keeps the impact table's headline design, the matched
// comparison: the whole-sample sensitivity rows stay in the tables and
// CSV files, not in the charts.
func headlineRows(t *metrics.Table) *metrics.Table {
	if t == nil {
		return nil
	}
	j := slices.Index(t.Columns, "design")
	if j < 0 {
		return t
	}
	out := *t
	out.Rows = nil
	for _, r := range t.Rows {
		if r.Values[j] == metrics.DesignMatched {
			out.Rows = append(out.Rows, r)
		}
	}
	return &out
}

// impactPanel is one subject and assessment of the impact table.
type impactPanel struct {
	subject, assessment string
	title               string
	rows                []metrics.Row
}

// impactPanels splits the impact table's rows of the wanted models by
// subject and assessment, in the table's order.
func impactPanels(v *view, o Options, want func(model string) bool) []*impactPanel {
	var panels []*impactPanel
	index := map[string]*impactPanel{}
	assessments := map[string]map[string]bool{}
	for _, r := range v.t.Rows {
		if !want(v.str(r, "model")) {
			continue
		}
		subj, asmt := v.str(r, "subject"), v.str(r, "assessment")
		key := subj + "\x00" + asmt
		p, ok := index[key]
		if !ok {
			p = &impactPanel{subject: subj, assessment: asmt}
			index[key] = p
			panels = append(panels, p)
			if assessments[subj] == nil {
				assessments[subj] = map[string]bool{}
			}
			assessments[subj][asmt] = true
		}
		p.rows = append(p.rows, r)
	}
	for _, p := range panels {
		p.title = o.subjectLabel(p.subject)
		if len(assessments[p.subject]) > 1 && p.assessment != "" {
			p.title += " (" + p.assessment + ")"
		}
	}
	return panels
}

// estimateSlot is an impact row as a figure with its interval, or a gap.
func estimateSlot(v *view, r metrics.Row, series string, clr color.Color) slot {
	est, ok1 := v.num(r, "effect_sd")
	lo, ok2 := v.num(r, "ci_low")
	hi, ok3 := v.num(r, "ci_high")
	none := "not estimable"
	if _, has := v.col["note"]; has {
		if n := v.str(r, "note"); strings.HasPrefix(n, "not estimable") {
			none = n
		}
	}
	gap := gapFor(r, ok1 && ok2 && ok3, none)
	return slot{series: series, color: clr, value: est, low: lo, high: hi, gap: gap,
		text: fmt.Sprintf("%s [%s, %s]", sd(est), sd(lo), sd(hi))}
}

// ImpactForest draws the adjusted effect of tutoring with its 95% interval
// (the impact table): all tutored students and each provider, one panel
// per subject (and assessment), a line at zero. The comparisons of
// providers in shared schools and the dose-response rows are not drawn.
func ImpactForest(t *metrics.Table, o Options) (*Chart, error) {
	const name = "impact by provider"
	v, err := read(headlineRows(t), name, "impact", []string{"subject", "assessment", "design", "model", "term"}, impactColumns...)
	if err != nil {
		return nil, err
	}
	isForest := func(m string) bool { return m == modelOverall || strings.HasPrefix(m, modelProvider) }
	panels := impactPanels(v, o, isForest)
	if len(panels) == 0 {
		return nil, fmt.Errorf("%s: the impact table has no %q or %q rows: %w", name, modelOverall, modelProvider+"…", ErrNoFigures)
	}
	var provIDs []string
	for _, p := range panels {
		for _, r := range p.rows {
			if id, ok := strings.CutPrefix(v.str(r, "model"), modelProvider); ok {
				provIDs = append(provIDs, id)
			}
		}
	}
	o = o.withColors(provIDs)

	c := &Chart{
		Name:      "impact-by-provider",
		Title:     "Tutored students against matched untutored students",
		TableNote: withoutCaveat(t.Note),
		Data: v.subsetRows(func(r metrics.Row) bool { return isForest(v.str(r, "model")) },
			impactData...),
		Columns: 1,
	}
	var panelGroups [][]group
	var overall, nParts []string
	var provs []provEst
	xlo, xhi := 0.0, 0.0
	shown, notEquivalent := 0, 0
	var forestRows []metrics.Row
	for _, p := range panels {
		var groups []group
		var provRows []metrics.Row
		for _, r := range p.rows {
			forestRows = append(forestRows, r)
			if v.str(r, "model") == modelOverall {
				s := estimateSlot(v, r, "All tutored students", black)
				groups = append([]group{{label: "All tutored students", slots: []slot{s}}}, groups...)
				if s.gap == "" {
					overall = append(overall, headlinePhrase(v, r, p, s, "", len(panels) > 1, len(overall) > 0))
				}
				if part := nPart(v, r, p, len(panels) > 1); part != "" {
					nParts = append(nParts, part)
				}
				continue
			}
			provRows = append(provRows, r)
		}
		// A panel with no overall row and one provider (a provider's own
		// packet) headlines that provider's estimate.
		if len(provRows) == 1 && len(groups) == 0 {
			r := provRows[0]
			id := strings.TrimPrefix(v.str(r, "model"), modelProvider)
			if s := estimateSlot(v, r, "", black); s.gap == "" {
				overall = append(overall, headlinePhrase(v, r, p, s, label(o.Providers, id), len(panels) > 1, len(overall) > 0))
			}
			if part := nPart(v, r, p, len(panels) > 1); part != "" {
				nParts = append(nParts, part)
			}
		}
		for _, r := range sortRows(v, provRows, "model") {
			id := strings.TrimPrefix(v.str(r, "model"), modelProvider)
			clr, err := o.providerColor(name, id)
			if err != nil {
				return nil, err
			}
			s := estimateSlot(v, r, label(o.Providers, id), clr)
			groups = append(groups, group{label: label(o.Providers, id), slots: []slot{s}})
			if s.gap == "" {
				provs = append(provs, provEst{label(o.Providers, id), lowerName(p.title), s.value})
			}
		}
		for _, g := range groups {
			for _, s := range g.slots {
				if s.gap == "" {
					xlo, xhi = math.Min(xlo, s.low), math.Max(xhi, s.high)
					shown++
				}
			}
		}
		panelGroups = append(panelGroups, groups)
	}
	if _, ok := v.col["baseline_equivalence"]; ok {
		for _, r := range forestRows {
			if r.Suppressed == "" && v.str(r, "baseline_equivalence") == "not equivalent" {
				if _, has := v.num(r, "effect_sd"); has {
					notEquivalent++
				}
			}
		}
	}

	// The reading: the overall effect per subject, then the providers' range.
	if len(overall) == 0 {
		c.Reading = "No overall estimate can be shown: every one is withheld or not estimable."
	} else {
		c.Reading = capitalize(strings.Join(overall, "; "))
		if len(provs) > 1 && !oneProvider(provs) {
			lo, hi := provs[0], provs[0]
			for _, pe := range provs[1:] {
				if pe.value < lo.value {
					lo = pe
				}
				if pe.value > hi.value {
					hi = pe
				}
			}
			where := func(pe provEst) string {
				if len(panels) > 1 {
					return pe.name + ", " + pe.panel
				}
				return pe.name
			}
			c.Reading += fmt.Sprintf("; by provider, from %s (%s) to %s (%s)", sd(lo.value), where(lo), sd(hi.value), where(hi))
		}
		c.Reading += "."
	}
	if len(nParts) > 0 {
		c.N = "n = " + strings.Join(nParts, "; ")
	}
	c.Notes = withheldNotes(forestRows, "estimate", "estimates")
	c.Notes = append(c.Notes, observationalNote)
	if notEquivalent > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("The groups differed by more than 0.25 SD at baseline for %d of %d estimates: those lean heavily on the model", notEquivalent, shown))
	}

	xlo, xhi = padRange(xlo, xhi, 0.5)
	anyGap := false
	for i, p := range panels {
		groups := panelGroups[i]
		pl := newPanel(p.title)
		if len(panels) == 1 {
			pl.Title.Text = ""
		}
		items, ticks, length := stack(groups, kindEstimate, false)
		categoryAxis(&pl.Y, ticks, 0, length)
		pl.X.Label.Text = "Effect in standard deviations (SD), with its 95% interval"
		pl.Add(&grid{at: valueAxis(&pl.X, xlo, xhi, sdTick)})
		pl.Add(&refLine{value: 0, color: darkGrey, width: 3})
		pl.Add(&marks{horizontal: true, items: items})
		c.Panels = append(c.Panels, pl)
		c.addPoints(panelName(p, len(panels)), groups)
		anyGap = anyGap || hasGap(groups)
	}
	c.legend = []legendEntry{
		{kind: legendEstimate, color: black, text: "estimate and 95% interval"},
		{kind: legendRule, color: darkGrey, text: "0: no difference"},
	}
	if anyGap {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

// headlinePhrase says what a panel's headline estimate shows: the effect,
// its interval, and whether the matched groups were equivalent at
// baseline; short when an earlier panel's phrase said who is compared with
// whom. provider names the tutored students' provider ("" for all).
func headlinePhrase(v *view, r metrics.Row, p *impactPanel, s slot, provider string, many, again bool) string {
	dir := "higher"
	if s.value < 0 {
		dir = "lower"
	}
	where := ""
	if many {
		where = "in " + lowerName(p.title) + ", "
	}
	zero := ""
	if s.low <= 0 && s.high >= 0 {
		zero = ", which includes no difference"
	}
	size := strconv.FormatFloat(math.Abs(s.value), 'f', 2, 64)
	eq := equivalencePhrase(v, r)
	if nt, ok := v.num(r, "n_tutored"); ok {
		if nc, ok := v.num(r, "n_comparison"); ok {
			zero += fmt.Sprintf("; %s tutored, %s compared", count(nt), count(nc))
		}
	}
	if again {
		return fmt.Sprintf("%s%s SD %s (%s to %s%s)%s", where, size, dir, sd(s.low), sd(s.high), zero, eq)
	}
	who := "tutored students"
	if provider != "" {
		who = provider + "'s students"
	}
	return fmt.Sprintf("%s%s scored %s SD %s than matched untutored students (95%% interval %s to %s%s)%s",
		where, who, size, dir, sd(s.low), sd(s.high), zero, eq)
}

// equivalencePhrase says in words how far apart the matched groups were
// before tutoring, with the What Works Clearinghouse reading.
func equivalencePhrase(v *view, r metrics.Row) string {
	if _, ok := v.col["baseline_difference_sd"]; !ok {
		return ""
	}
	g, ok := v.num(r, "baseline_difference_sd")
	if !ok {
		return ""
	}
	gap := strconv.FormatFloat(math.Abs(g), 'f', 2, 64)
	switch v.str(r, "baseline_equivalence") {
	case "satisfied":
		return fmt.Sprintf(", and the groups started level (%s SD apart before tutoring)", gap)
	case "satisfied only with statistical adjustment":
		return fmt.Sprintf(", and the groups started %s SD apart, close enough to compare once starting scores are adjusted for", gap)
	case "not equivalent":
		return fmt.Sprintf(", but the groups started %s SD apart, too far for a fair comparison", gap)
	}
	return ""
}

// nPart is a headline row's group sizes for the chart's n line.
func nPart(v *view, r metrics.Row, p *impactPanel, many bool) string {
	nt, ok1 := v.num(r, "n_tutored")
	nc, ok2 := v.num(r, "n_comparison")
	if !ok1 || !ok2 {
		return ""
	}
	part := fmt.Sprintf("%s tutored and %s matched comparison students", count(nt), count(nc))
	if many {
		part += " (" + lowerName(p.title) + ")"
	}
	return part
}

// DoseResponse draws the adjusted effect by band of hours attended, with
// 95% intervals (the impact table's dose-response rows), one panel per
// subject (and assessment), a line at zero.
func DoseResponse(t *metrics.Table, o Options) (*Chart, error) {
	const name = "dose-response by hours"
	v, err := read(headlineRows(t), name, "impact", []string{"subject", "assessment", "design", "model", "term"}, impactColumns...)
	if err != nil {
		return nil, err
	}
	isDose := func(m string) bool { return m == modelDose }
	panels := impactPanels(v, o, isDose)
	if len(panels) == 0 {
		return nil, fmt.Errorf("%s: the impact table has no %q rows: %w", name, modelDose, ErrNoFigures)
	}
	c := &Chart{
		Name:      "dose-response",
		Title:     "Effect by hours of tutoring attended",
		TableNote: withoutCaveat(t.Note),
		Data: v.subsetRows(func(r metrics.Row) bool { return isDose(v.str(r, "model")) },
			impactData...),
		Columns: min(len(panels), 2),
	}
	ylo, yhi := 0.0, 0.0
	var phrases, nParts []string
	var doseRows []metrics.Row
	var panelGroups [][]group
	crossing, shown := 0, 0
	for _, p := range panels {
		var groups []group
		var tutored float64
		comparison := -1.0
		for _, r := range p.rows {
			doseRows = append(doseRows, r)
			band := bandLabel(v.str(r, "term"))
			s := estimateSlot(v, r, "effect", black)
			s.text = sd(s.value)
			groups = append(groups, group{label: band, slots: []slot{s}})
			if s.gap == "" {
				ylo, yhi = math.Min(ylo, s.low), math.Max(yhi, s.high)
				shown++
				if s.low <= 0 && s.high >= 0 {
					crossing++
				}
				if n, ok := v.num(r, "n_tutored"); ok {
					tutored += n
				}
			}
			if n, ok := v.num(r, "n_comparison"); ok {
				comparison = n
			}
		}
		var first, last *group
		for i := range groups {
			if groups[i].slots[0].gap == "" {
				if first == nil {
					first = &groups[i]
				}
				last = &groups[i]
			}
		}
		where := ""
		if len(panels) > 1 {
			where = "in " + lowerName(p.title) + ", "
		}
		if first != nil && first != last {
			lead := "the adjusted effect went from"
			if len(phrases) > 0 {
				lead = "from"
			}
			phrases = append(phrases, fmt.Sprintf("%s%s %s SD (%s hours) to %s SD (%s hours)",
				where, lead, sd(first.slots[0].value), first.label, sd(last.slots[0].value), last.label))
		} else if first != nil {
			phrases = append(phrases, fmt.Sprintf("%sthe adjusted effect was %s SD (%s hours)", where, sd(first.slots[0].value), first.label))
		}
		if comparison >= 0 {
			part := fmt.Sprintf("%s tutored students in the bands shown and %s comparison students", count(tutored), count(comparison))
			if len(panels) > 1 {
				part += " (" + lowerName(p.title) + ")"
			}
			nParts = append(nParts, part)
		}
		panelGroups = append(panelGroups, groups)
	}
	if len(phrases) == 0 {
		c.Reading = "Every band's estimate is withheld or not estimable."
	} else {
		c.Reading = capitalize(strings.Join(phrases, "; ")) + "."
	}
	if len(nParts) > 0 {
		c.N = "n = " + strings.Join(nParts, "; ")
	}
	c.Notes = withheldNotes(doseRows, "band", "bands")
	if crossing > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d of %d intervals include 0: no clear difference there", crossing, shown))
	}
	c.Notes = append(c.Notes, "Observational: students who attend more may differ in ways their tests do not show")

	ylo, yhi = padRange(ylo, yhi, 0.5)
	anyGap := false
	for i, p := range panels {
		groups := panelGroups[i]
		pl := newPanel(p.title)
		if len(panels) == 1 {
			pl.Title.Text = ""
		}
		items, ticks, length := stack(groups, kindEstimate, true)
		categoryAxis(&pl.X, ticks, 0, length)
		pl.X.Label.Text = "Hours of tutoring attended"
		pl.Y.Label.Text = "Effect (SD), 95% interval"
		pl.Add(&grid{horizontal: true, at: valueAxis(&pl.Y, ylo, yhi, sdTick)})
		pl.Add(&refLine{horizontal: true, value: 0, color: darkGrey, width: 3})
		pl.Add(&marks{items: items})
		c.Panels = append(c.Panels, pl)
		c.addPoints(panelName(p, len(panels)), groups)
		anyGap = anyGap || hasGap(groups)
	}
	c.legend = []legendEntry{
		{kind: legendEstimate, color: black, text: "estimate and 95% interval, against matched untutored students"},
		{kind: legendRule, color: darkGrey, text: "0: no difference"},
	}
	if anyGap {
		c.legend = append(c.legend, withheldLegend())
	}
	return c, nil
}

// bandLabel names a band of hours: "hours (0,5]" -> "up to 5",
// "hours (5,10]" -> "5-10", "hours >30" -> "over 30".
func bandLabel(term string) string {
	b := strings.TrimSpace(strings.TrimPrefix(term, "hours"))
	if rest, ok := strings.CutPrefix(b, ">"); ok {
		return "over " + strings.TrimSpace(rest)
	}
	if strings.HasPrefix(b, "(") && strings.HasSuffix(b, "]") {
		lo, hi, ok := strings.Cut(b[1:len(b)-1], ",")
		if ok {
			lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
			if lo == "0" {
				return "up to " + hi
			}
			return lo + "–" + hi
		}
	}
	return b
}

// sdTick labels an axis in SD: "-0.2", "0", "0.25".
func sdTick(x float64) string {
	s := strconv.FormatFloat(math.Round(x*1e6)/1e6, 'f', -1, 64)
	if s == "-0" {
		s = "0"
	}
	return s
}

// panelName is a panel's name for Points: empty when the chart has one.
func panelName(p *impactPanel, n int) string {
	if n == 1 {
		return ""
	}
	return p.title
}

// lowerName writes a panel's name inside a sentence: "math", "ELA".
func lowerName(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if isUpper(first) {
		return s
	}
	return lowerFirst(s)
}

// provEst is one provider's estimate in one subject's panel.
type provEst struct {
	name, panel string
	value       float64
}

// oneProvider says whether the estimates are all one provider's (a
// provider's own packet, one per subject): no range across providers then.
func oneProvider(provs []provEst) bool {
	for _, pe := range provs[1:] {
		if pe.name != provs[0].name {
			return false
		}
	}
	return true
}

// withoutCaveat is the impact table's note without metrics.ImpactCaveat,
// which the chart's own notes already give in the chart's words: a page
// says it once.
func withoutCaveat(note string) string {
	return strings.TrimSpace(strings.TrimPrefix(note, metrics.ImpactCaveat))
}
