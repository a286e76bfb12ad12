package metrics

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/impact"
)

// The impact family's models (METRICS.md "Impact"), all on the analysis
// sample, all of the form z_outcome ~ treatment + z_baseline + grade, with
// school effects absorbed. They are observational estimates, not causal.
// ImpactCaveat opens every impact table's note. Charts that give the caveat
// in their own words leave it out of the table note they print.
const ImpactCaveat = "Observational estimates, not causal ones: tutored students are compared with similar untutored students in the same schools and grades, adjusted for their baseline scores."

const (
	modelOverall = "tutored vs comparison"
	modelDose    = "dose-response by hours"
)

// sampleRow is one student x subject x assessment of analysis_sample.
type sampleRow struct {
	subject, assessment string
	school, grade       string
	zBase, zOut         float64
	group, provider     string // tutored|comparison; the one provider, or "multiple"
	band                string
	hours               float64
}

// impactTable fits every model and writes one row per estimate.
func (r *Runner) impactTable(ctx context.Context, opt Options) (*Table, error) {
	rows, err := r.sample(ctx)
	if err != nil {
		return nil, err
	}
	from, to := r.yearBounds()
	t := &Table{Period: "school year " + r.schoolYear(r.cfg.Calendar.Start.Time), From: from, To: to, By: opt.By, MinCellSize: r.cfg.Privacy.MinCellSize,
		Columns: []string{"subject", "assessment", "model", "term", "estimate", "std_error", "ci_low", "ci_high", "p_value",
			"n_tutored", "n_comparison", "hedges_g", "baseline_difference", "baseline_equivalence", "note"},
		Within: []string{"subject", "assessment", "model", "term"},
		Note:   ImpactCaveat}
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
	for _, k := range keys {
		for _, m := range models(groups[k]) {
			for _, est := range fitModel(m) {
				est.values[0], est.values[1] = k.subject, k.assessment
				t.Rows = append(t.Rows, est.row(t.MinCellSize))
			}
		}
	}
	return t, nil
}

// sample reads the analysis sample's tutored and comparison students.
func (r *Runner) sample(ctx context.Context) ([]sampleRow, error) {
	rows, err := r.c.QueryContext(ctx, `SELECT subject, assessment, coalesce(school, ''), coalesce(CAST(grade AS VARCHAR), ''),
		z_baseline, z_outcome, "group", coalesce(provider, ''), dosage_band, hours
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
		if err := rows.Scan(&s.subject, &s.assessment, &s.school, &s.grade, &s.zBase, &s.zOut, &s.group, &s.provider, &s.band, &s.hours); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// model is one regression to fit: its sample and how each student is
// treated (the treatment columns, comparison students all zero).
type model struct {
	name      string
	rows      []sampleRow
	terms     []string                    // treatment columns, in order
	treatment func(s sampleRow) []float64 // one value per term
	treated   func(s sampleRow) bool      // in the treated group (for n and g)
	note      string
}

// models lists the models of one subject and assessment.
func models(all []sampleRow) []model {
	tutored := func(s sampleRow) bool { return s.group == "tutored" }
	out := []model{{
		name: modelOverall, rows: all, terms: []string{"tutored"},
		treatment: func(s sampleRow) []float64 { return []float64{b2f(tutored(s))} }, treated: tutored,
	}}
	// Per provider: the school x grade cells where the provider tutored
	// someone; students tutored by another provider (or several) are left out.
	providers := map[string]map[string]bool{} // provider -> cells
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
	for _, p := range names {
		var rows []sampleRow
		for _, s := range all {
			if providers[p][s.school+"|"+s.grade] && (s.group == "comparison" || s.provider == p) {
				rows = append(rows, s)
			}
		}
		out = append(out, model{name: "provider " + p, rows: rows, terms: []string{"tutored by " + p},
			treatment: func(s sampleRow) []float64 { return []float64{b2f(tutored(s))} }, treated: tutored})
	}
	// Dose-response: one indicator per band of attended hours; comparison = 0 hours.
	bands := []string{"(0,5]", "(5,10]", "(10,20]", "(20,30]", ">30"}
	out = append(out, model{name: modelDose, rows: all, terms: prefixed("hours ", bands),
		treatment: func(s sampleRow) []float64 {
			v := make([]float64, len(bands))
			if tutored(s) {
				if i := slices.Index(bands, s.band); i >= 0 {
					v[i] = 1
				}
			}
			return v
		}, treated: tutored})
	// Providers in shared schools: each pair serving the same schools, on the
	// students either tutored there; the term is provider A against B.
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
			a := a
			schoolsWord := "schools"
			if len(shared) == 1 {
				schoolsWord = "school"
			}
			out = append(out, model{name: fmt.Sprintf("%s vs %s in their %d shared %s", a, b, len(shared), schoolsWord), rows: rows,
				terms:     []string{a + " rather than " + b},
				treatment: func(s sampleRow) []float64 { return []float64{b2f(s.provider == a)} },
				treated:   func(s sampleRow) bool { return s.provider == a }})
		}
	}
	return out
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
	values     []any
	nT, nC     int
	suppressed string
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
		for i := 4; i < len(r.Values); i++ { // all but subject, assessment, model, term
			r.Values[i] = nil
		}
	}
	return r
}

// fitModel fits one model and returns one estimate per treatment term.
func fitModel(m model) []estimate {
	d := impact.Design{}
	var schools []string
	var grades []string
	var treatedOut, compOut, treatedBase, compBase []float64
	cols := make([][]float64, len(m.terms))
	for _, s := range m.rows {
		d.Y = append(d.Y, s.zOut)
		for i, v := range m.treatment(s) {
			cols[i] = append(cols[i], v)
		}
		schools = append(schools, s.school)
		grades = append(grades, s.grade)
		if m.treated(s) {
			treatedOut, treatedBase = append(treatedOut, s.zOut), append(treatedBase, s.zBase)
		} else {
			compOut, compBase = append(compOut, s.zOut), append(compBase, s.zBase)
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
		fit, fitErr = impact.OLSAbsorb(d, schools, m.terms...)
	}
	var out []estimate
	for i, term := range m.terms {
		e := estimate{values: make([]any, 15)}
		e.values[2], e.values[3] = m.name, term
		// Group sizes and the unadjusted comparison, per term.
		var tOut, tBase []float64
		for j, s := range m.rows {
			if cols[i][j] == 1 {
				tOut, tBase = append(tOut, s.zOut), append(tBase, s.zBase)
			}
		}
		if len(m.terms) == 1 {
			tOut, tBase = treatedOut, treatedBase
		}
		e.nT, e.nC = len(tOut), len(compOut)
		e.values[9], e.values[10] = int64(e.nT), int64(e.nC)
		var notes []string
		if g, err := impact.HedgesG(tOut, compOut); err == nil {
			e.values[11] = g.B
		}
		if eq, err := impact.BaselineEquivalence(tBase, compBase); err == nil {
			e.values[12], e.values[13] = eq.G, eq.Reading
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
				e.values[4], e.values[5], e.values[6], e.values[7], e.values[8] = c.B, c.SE, c.Lo, c.Hi, c.P
			} else {
				notes = append(notes, "not estimable: no student falls in this group")
			}
			// Grade columns the schools already account for are dropped quietly;
			// students left out of the fit are worth saying.
			for _, n := range fit.Notes {
				if strings.Contains(n, "alone in their school") {
					notes = append(notes, n)
				}
			}
		}
		if len(notes) > 0 {
			e.values[14] = strings.Join(notes, "; ")
		}
		out = append(out, e)
	}
	return out
}
