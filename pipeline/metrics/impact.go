package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/hitreflect/hitreflect/pipeline/impact"
)

// The impact family's models (METRICS.md "Impact"), all of the form
// z_outcome ~ treatment + z_baseline + grade, with school effects absorbed.
// The headline design matches each tutored student to untutored students
// of the same grade (and roster flags) with a baseline within the caliper,
// preferring their own school, and fits the model on the matched sample
// with the matching's weights; the same model on the whole sample is kept
// as a sensitivity row. They are observational estimates, not causal.
//
// ImpactCaveat opens every impact table's note. Charts that give the caveat
// in their own words leave it out of the table note they print.
const ImpactCaveat = "Observational estimates, not causal ones: tutored students are compared with untutored students of the same grade matched on their baseline scores, in the same school where possible, and adjusted for those scores."

// The impact table's designs and models.
const (
	DesignMatched     = "matched"
	DesignWholeSample = "whole-sample sensitivity"

	modelOverall = "tutored vs comparison"
	modelDose    = "dose-response by hours"
	modelSlope   = "dose-response slope"
	termSlope    = "SD per 10 attended hours"
)

// ImpactColumns are the impact table's columns, in order.
var ImpactColumns = []string{"subject", "assessment", "design", "model", "term",
	"effect_sd", "std_error", "ci_low", "ci_high", "p_value",
	"cluster_std_error", "cluster_ci_low", "cluster_ci_high",
	"n_tutored", "n_comparison", "n_comparison_effective", "n_tutored_unmatched", "n_no_baseline",
	"unadjusted_difference_sd", "baseline_difference_sd", "baseline_equivalence", "note"}

// column positions in ImpactColumns
var ic = func() map[string]int {
	m := map[string]int{}
	for i, c := range ImpactColumns {
		m[c] = i
	}
	return m
}()

var doseBands = []string{"(0,5]", "(5,10]", "(10,20]", "(20,30]", ">30"}

// sampleRow is one student x subject x assessment of analysis_sample.
type sampleRow struct {
	subject, assessment string
	school, grade       string
	flags               [3]sql.NullBool // ell, sped, econ_disadv
	zBase, zOut         float64
	group, provider     string // tutored|comparison; the one provider, or "multiple"
	band                string
	hours               float64
}

// impactTable fits every model and writes one row per estimate.
func (r *Runner) impactTable(ctx context.Context, opt Options) (*Table, error) {
	from, to := r.yearBounds()
	t := &Table{Period: "school year " + r.schoolYear(r.cfg.Calendar.Start.Time), From: from, To: to, By: opt.By, MinCellSize: r.cfg.Privacy.MinCellSize,
		Columns: ImpactColumns,
		Within:  []string{"subject", "assessment", "design", "model", "term"},
		Note:    ImpactCaveat}
	var ignored []string
	for _, d := range opt.By {
		if d != "subject" {
			ignored = append(ignored, d)
		}
	}
	if opt.Period != "" && opt.Period != "year" {
		ignored = append(ignored, "--period "+opt.Period+" (the models compare the year's baseline and outcome tests)")
	}
	if n := cutNote("impact", "subject (district-wide estimates)", ignored); n != "" {
		t.Note += " " + n + "."
	}
	// The estimates rest on the year's sample whatever the cut or period,
	// and matching and cluster-robust errors are the slow part: fitted once.
	if r.impact == nil {
		rows, err := r.fitImpact(ctx, t.MinCellSize)
		if err != nil {
			return nil, err
		}
		r.impact = rows
	}
	t.Rows = copyRows(r.impact)
	return t, nil
}

// fitImpact fits every model of every subject and assessment and gives one
// row per estimate.
func (r *Runner) fitImpact(ctx context.Context, minCell int) ([]Row, error) {
	rows, err := r.sample(ctx)
	if err != nil {
		return nil, err
	}
	noBaseline, err := r.noBaseline(ctx)
	if err != nil {
		return nil, err
	}
	out := []Row{}
	type key struct{ subject, assessment string }
	groups := map[key][]sampleRow{}
	var keys []key
	for _, s := range rows {
		k := key{s.subject, s.assessment}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], s)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].subject+keys[i].assessment < keys[j].subject+keys[j].assessment
	})
	mo := impact.MatchOptions{Caliper: r.cfg.Impact.CaliperSD, K: r.cfg.Impact.Matches}
	// Subjects and assessments are independent: each is matched and fitted
	// on a CPU of its own, one after another on each (all at once would
	// hold every model's rows in memory together), written in fixed order.
	fitted := make([][]estimate, len(keys))
	errs := make([]error, len(keys))
	parallel(len(keys), func(i int) {
		k := keys[i]
		ms, err := models(groups[k], mo)
		if err != nil {
			errs[i] = err
			return
		}
		for _, m := range ms {
			if m.name == modelOverall {
				m.noBaseline = noBaseline[k.subject+"\x00"+k.assessment]
			}
			fitted[i] = append(fitted[i], fitModel(m)...)
		}
	})
	for i, k := range keys {
		if errs[i] != nil {
			return nil, fmt.Errorf("impact, %s %s: %w", k.subject, k.assessment, errs[i])
		}
		for _, est := range fitted[i] {
			est.values[ic["subject"]], est.values[ic["assessment"]] = k.subject, k.assessment
			out = append(out, est.row(minCell))
		}
	}
	return out, nil
}

// sample reads the analysis sample's tutored and comparison students.
func (r *Runner) sample(ctx context.Context) ([]sampleRow, error) {
	rows, err := r.c.QueryContext(ctx, `SELECT subject, assessment, coalesce(school, ''), coalesce(CAST(grade AS VARCHAR), ''),
		ell, sped, econ_disadv, z_baseline, z_outcome, "group", coalesce(provider, ''), dosage_band, hours
		FROM analysis_sample
		WHERE in_sample AND "group" IN ('tutored', 'comparison') AND z_baseline IS NOT NULL AND z_outcome IS NOT NULL
		ORDER BY subject, assessment, school, grade, student_id`)
	if err != nil {
		return nil, fmt.Errorf("read the analysis sample: %w", err)
	}
	defer rows.Close()
	var out []sampleRow
	for rows.Next() {
		var s sampleRow
		if err := rows.Scan(&s.subject, &s.assessment, &s.school, &s.grade, &s.flags[0], &s.flags[1], &s.flags[2],
			&s.zBase, &s.zOut, &s.group, &s.provider, &s.band, &s.hours); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// noBaseline counts, by subject and assessment, the tutored students left
// out because no score preceded their first session.
func (r *Runner) noBaseline(ctx context.Context) (map[string]int, error) {
	rows, err := r.c.QueryContext(ctx, `SELECT subject, assessment, count(*) FROM analysis_sample
		WHERE excluded_reason = 'no baseline before tutoring began' AND z_outcome IS NOT NULL GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("count the students with no baseline before tutoring: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s, a string
		var n int
		if err := rows.Scan(&s, &a, &n); err != nil {
			return nil, err
		}
		out[s+"\x00"+a] = n
	}
	return out, rows.Err()
}

// model is one regression to fit: its sample, the weights of a matching
// (nil for the whole sample), and how each student is treated.
type model struct {
	design    string
	name      string
	rows      []sampleRow
	weights   []float64                   // by row; nil: all 1
	matching  *impact.Matching            // the matching behind weights
	terms     []string                    // treatment columns, in order
	report    []string                    // terms given a row (nil: all of terms)
	treatment func(s sampleRow) []float64 // one value per term
	treated   func(s sampleRow) bool      // in the treated group (for n and the differences)
	// empty are terms left out of the model because no student has them
	// (dose bands with no students); each still gets a row that says so.
	empty      []string
	noBaseline int
	matchNote  string
}

// models lists the models of one subject and assessment.
func models(all []sampleRow, mo impact.MatchOptions) ([]model, error) {
	tutored := func(s sampleRow) bool { return s.group == "tutored" }
	isTutored := func(s sampleRow) []float64 { return []float64{b2f(tutored(s))} }
	flagsUsed := rosterFlags(all)
	match := func(rows []sampleRow, treated func(sampleRow) bool) (*impact.Matching, error) {
		units := make([]impact.MatchUnit, len(rows))
		for i, s := range rows {
			units[i] = impact.MatchUnit{Treated: treated(s), Stratum: stratum(s, flagsUsed), School: s.school, Score: s.zBase}
		}
		return impact.Match(units, mo)
	}
	matched := func(name string, rows []sampleRow, treated func(sampleRow) bool, terms []string, treatment func(sampleRow) []float64, comparedWith string) (model, error) {
		mt, err := match(rows, treated)
		if err != nil {
			return model{}, err
		}
		m := model{design: DesignMatched, name: name, matching: mt, terms: terms, treatment: treatment, treated: treated}
		for i, s := range rows {
			if mt.Weights[i] > 0 {
				m.rows = append(m.rows, s)
				m.weights = append(m.weights, mt.Weights[i])
			}
		}
		m.matchNote = unmatchedNote(mt, mo, flagsUsed, comparedWith)
		return m, nil
	}

	var out []model
	overall, err := matched(modelOverall, all, tutored, []string{"tutored"}, isTutored, "untutored student")
	if err != nil {
		return nil, err
	}
	out = append(out, overall)

	// Per provider: that provider's students against untutored students;
	// students tutored by another provider (or several) are left out.
	providers := map[string]map[string]bool{} // provider -> school x grade cells
	for _, s := range all {
		if tutored(s) && s.provider != "multiple" && s.provider != "" {
			if providers[s.provider] == nil {
				providers[s.provider] = map[string]bool{}
			}
			providers[s.provider][s.school+"|"+s.grade] = true
		}
	}
	names := make([]string, 0, len(providers))
	for p := range providers {
		names = append(names, p)
	}
	sort.Strings(names)
	var sensitivity []model
	sensitivity = append(sensitivity, model{design: DesignWholeSample, name: modelOverall, rows: all, terms: []string{"tutored"},
		treatment: isTutored, treated: tutored})
	for _, p := range names {
		var rows, cells []sampleRow
		for _, s := range all {
			if s.group == "comparison" || s.provider == p {
				rows = append(rows, s)
				if providers[p][s.school+"|"+s.grade] {
					cells = append(cells, s)
				}
			}
		}
		m, err := matched("provider "+p, rows, tutored, []string{"tutored by " + p}, isTutored, "untutored student")
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		// the sensitivity row keeps the school x grade cells the provider tutored in
		sensitivity = append(sensitivity, model{design: DesignWholeSample, name: "provider " + p, rows: cells,
			terms: []string{"tutored by " + p}, treatment: isTutored, treated: tutored})
	}

	// Dose-response on the overall matching: one indicator per band of
	// attended hours (comparison = 0 hours); a band no one is in is left out
	// of the model and listed. Then the slope per 10 hours beside tutored.
	present := map[string]bool{}
	for _, s := range overall.rows {
		if tutored(s) {
			present[s.band] = true
		}
	}
	var bands, empty []string
	for _, b := range doseBands {
		if present[b] {
			bands = append(bands, b)
		} else {
			empty = append(empty, "hours "+b)
		}
	}
	dose := overall
	dose.name, dose.terms, dose.empty = modelDose, prefixed("hours ", bands), empty
	dose.treatment = func(s sampleRow) []float64 {
		v := make([]float64, len(bands))
		if tutored(s) {
			for i, b := range bands {
				if s.band == b {
					v[i] = 1
				}
			}
		}
		return v
	}
	slope := overall
	slope.name, slope.terms, slope.report = modelSlope, []string{"tutored", termSlope}, []string{termSlope}
	slope.treatment = func(s sampleRow) []float64 {
		if !tutored(s) {
			return []float64{0, 0}
		}
		return []float64{1, s.hours / 10}
	}
	out = append(out, dose, slope)

	// Providers in shared schools: each pair serving the same schools; A's
	// students there matched to B's on baseline; the term is A rather than B.
	schools := map[string]map[string]bool{} // provider -> schools
	for _, s := range all {
		if tutored(s) && providers[s.provider] != nil {
			if schools[s.provider] == nil {
				schools[s.provider] = map[string]bool{}
			}
			schools[s.provider][s.school] = true
		}
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			shared := map[string]bool{}
			for sc := range schools[a] {
				if schools[b][sc] {
					shared[sc] = true
				}
			}
			if len(shared) == 0 {
				continue
			}
			var rows []sampleRow
			for _, s := range all {
				if shared[s.school] && tutored(s) && (s.provider == a || s.provider == b) {
					rows = append(rows, s)
				}
			}
			isA := func(s sampleRow) bool { return s.provider == a }
			schoolsWord := "schools"
			if len(shared) == 1 {
				schoolsWord = "school"
			}
			m, err := matched(fmt.Sprintf("%s vs %s in their %d shared %s", a, b, len(shared), schoolsWord), rows, isA,
				[]string{a + " rather than " + b}, func(s sampleRow) []float64 { return []float64{b2f(isA(s))} }, b+" student")
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return append(out, sensitivity...), nil
}

// rosterFlags says which of the ELL, SPED and economically disadvantaged
// flags the roster gives for anyone in the sample: those are matched on.
func rosterFlags(rows []sampleRow) [3]bool {
	var used [3]bool
	for _, s := range rows {
		for i, f := range s.flags {
			used[i] = used[i] || f.Valid
		}
	}
	return used
}

// stratum is what a match must share exactly: the grade and each flag the
// roster gives (a student the roster says nothing of is matched with
// others it says nothing of).
func stratum(s sampleRow, used [3]bool) string {
	b := []byte(s.grade)
	for i, f := range s.flags {
		if !used[i] {
			continue
		}
		switch {
		case !f.Valid:
			b = append(b, "|?"...)
		case f.Bool:
			b = append(b, "|Y"...)
		default:
			b = append(b, "|N"...)
		}
	}
	return string(b)
}

var flagNames = [3]string{"ELL", "special-education", "economically-disadvantaged"}

// unmatchedNote says how many tutored students found no match, and why.
func unmatchedNote(mt *impact.Matching, mo impact.MatchOptions, used [3]bool, comparedWith string) string {
	if mt.Unmatched == 0 {
		return ""
	}
	var flags []string
	for i, u := range used {
		if u {
			flags = append(flags, flagNames[i])
		}
	}
	same := "the same grade"
	if len(flags) > 0 {
		same += " and " + joinAnd(flags) + " status"
	}
	who, were := fmt.Sprintf("%d tutored students", mt.Unmatched), "were"
	if mt.Unmatched == 1 {
		who, were = "1 tutored student", "was"
	}
	return fmt.Sprintf("%s had no %s of %s within %.2g SD of their baseline and %s left out", who, comparedWith, same, mo.Caliper, were)
}

func joinAnd(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// estimate is one row of the impact table in the making.
type estimate struct {
	values []any
	nT, nC int
}

func (e estimate) row(min int) Row {
	n := e.nT
	if e.nC < n {
		n = e.nC
	}
	r := Row{Values: e.values, N: int64(n)}
	// An estimate resting on fewer than min students in either group is not
	// shown, nor are the group sizes: a count under min is itself a small
	// cell (METRICS.md: any figure resting on fewer than min students).
	if n > 0 && n < min {
		r.Suppressed = fmt.Sprintf("fewer than %d students in a group", min)
		for i := ic["effect_sd"]; i < len(r.Values); i++ {
			r.Values[i] = nil
		}
		return r
	}
	// Counts of students left out are small cells of their own.
	for _, c := range []string{"n_tutored_unmatched", "n_no_baseline"} {
		if v, ok := r.Values[ic[c]].(int64); ok && v > 0 && v < int64(min) {
			r.Values[ic[c]] = nil
		}
	}
	return r
}

// fitModel fits one model and returns one estimate per reported term (and
// one per empty term, saying so).
func fitModel(m model) []estimate {
	d := impact.Design{}
	var schools, grades []string
	var compOut, compBase, compW []float64
	cols := make([][]float64, len(m.terms))
	w := func(j int) float64 {
		if m.weights == nil {
			return 1
		}
		return m.weights[j]
	}
	for j, s := range m.rows {
		d.Y = append(d.Y, s.zOut)
		for i, v := range m.treatment(s) {
			cols[i] = append(cols[i], v)
		}
		schools = append(schools, s.school)
		grades = append(grades, s.grade)
		if !m.treated(s) {
			compOut, compBase, compW = append(compOut, s.zOut), append(compBase, s.zBase), append(compW, w(j))
		}
	}
	for i, name := range m.terms {
		d.Columns = append(d.Columns, impact.Column{Name: name, X: cols[i]})
	}
	base := make([]float64, len(m.rows))
	for i, s := range m.rows {
		base[i] = s.zBase
	}
	d.Columns = append(d.Columns, impact.Column{Name: "z_baseline", X: base})
	d.Columns = append(d.Columns, impact.Indicators("grade", grades)...)

	var fit *impact.Fit
	var fitErr error
	if len(m.rows) == 0 {
		fitErr = &impact.NotEstimable{Reason: "no student is in this comparison"}
	} else {
		fit, fitErr = impact.WLSAbsorb(d, schools, impact.Weighting{Weights: m.weights, Clusters: schools}, m.terms...)
	}
	report := m.report
	if report == nil {
		report = m.terms
	}
	var out []estimate
	for _, term := range report {
		i := indexOf(m.terms, term)
		e := estimate{values: make([]any, len(ImpactColumns))}
		e.values[ic["design"]], e.values[ic["model"]], e.values[ic["term"]] = m.design, m.name, term
		// Group sizes and the unadjusted differences, per term: its treated
		// students (a band's, for a dose band) against the comparison group.
		var tOut, tBase, tW []float64
		for j, s := range m.rows {
			if m.treated(s) && (len(m.terms) == 1 || term == termSlope || cols[i][j] == 1) {
				tOut, tBase, tW = append(tOut, s.zOut), append(tBase, s.zBase), append(tW, w(j))
			}
		}
		e.nT, e.nC = len(tOut), len(compOut)
		e.values[ic["n_tutored"]], e.values[ic["n_comparison"]] = int64(e.nT), int64(e.nC)
		if m.matching != nil {
			e.values[ic["n_comparison_effective"]] = m.matching.EffectiveControls
			if term != termSlope && !strings.HasPrefix(term, "hours ") {
				e.values[ic["n_tutored_unmatched"]] = int64(m.matching.Unmatched)
			}
		}
		if m.name == modelOverall && m.design == DesignMatched {
			e.values[ic["n_no_baseline"]] = int64(m.noBaseline)
		}
		var notes []string
		weights := func(x []float64) []float64 {
			if m.weights == nil {
				return nil
			}
			return x
		}
		if g, err := impact.WeightedHedgesG(tOut, weights(tW), compOut, weights(compW)); err == nil {
			e.values[ic["unadjusted_difference_sd"]] = g.B
		}
		if eq, err := impact.WeightedBaselineEquivalence(tBase, weights(tW), compBase, weights(compW)); err == nil {
			e.values[ic["baseline_difference_sd"]], e.values[ic["baseline_equivalence"]] = eq.G, eq.Reading
			if eq.Reading == impact.NotEquivalent {
				notes = append(notes, "the groups differed by more than 0.25 SD at baseline, so the adjusted estimate leans heavily on the model")
			}
		}
		switch ne, ok := impact.IsNotEstimable(fitErr); {
		case ok:
			notes = append(notes, "not estimable: "+ne.Reason)
		case fitErr != nil:
			notes = append(notes, "not estimable: "+fitErr.Error())
		default:
			if c, ok := fit.Coef[term]; ok {
				e.values[ic["effect_sd"]], e.values[ic["std_error"]], e.values[ic["ci_low"]], e.values[ic["ci_high"]], e.values[ic["p_value"]] = c.B, c.SE, c.Lo, c.Hi, c.P
			} else {
				notes = append(notes, "not estimable: no student falls in this group")
			}
			if c, ok := fit.Cluster[term]; ok {
				e.values[ic["cluster_std_error"]], e.values[ic["cluster_ci_low"]], e.values[ic["cluster_ci_high"]] = c.SE, c.Lo, c.Hi
			} else if fit.ClusterNote != "" {
				notes = append(notes, "no school-clustered interval: "+fit.ClusterNote)
			}
			// Grade columns the schools already account for are dropped quietly;
			// students left out of the fit are worth saying.
			for _, n := range fit.Notes {
				if strings.Contains(n, "alone in their school") {
					notes = append(notes, n)
				}
			}
		}
		if m.matchNote != "" && e.values[ic["n_tutored_unmatched"]] != nil {
			notes = append(notes, m.matchNote)
		}
		if m.noBaseline > 0 && e.values[ic["n_no_baseline"]] != nil {
			who := fmt.Sprintf("%d tutored students", m.noBaseline) + " had no score before tutoring began and were left out"
			if m.noBaseline == 1 {
				who = "1 tutored student had no score before tutoring began and was left out"
			}
			notes = append(notes, who)
		}
		if len(notes) > 0 {
			e.values[ic["note"]] = strings.Join(notes, "; ")
		}
		out = append(out, e)
	}
	for _, term := range m.empty {
		e := estimate{values: make([]any, len(ImpactColumns))}
		e.values[ic["design"]], e.values[ic["model"]], e.values[ic["term"]] = m.design, m.name, term
		e.values[ic["n_tutored"]] = int64(0)
		e.values[ic["note"]] = "no students: no tutored student attended this many hours, so the band is left out of the model"
		out = append(out, e)
	}
	if len(m.empty) > 0 {
		sort.SliceStable(out, func(a, b int) bool {
			return bandOrder(out[a].values[ic["term"]].(string)) < bandOrder(out[b].values[ic["term"]].(string))
		})
	}
	return out
}

func bandOrder(term string) int {
	return indexOf(doseBands, strings.TrimPrefix(term, "hours "))
}

// parallel runs do(0) ... do(n-1) on as many goroutines as there are CPUs.
func parallel(n int, do func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
