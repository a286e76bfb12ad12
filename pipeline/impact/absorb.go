package impact

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// OLSAbsorb fits y on the columns plus one fixed effect per level of absorb
// (e.g. school), without building indicator columns: y and every column are
// demeaned within absorb groups, the reduced regression is fitted, and HC2
// uses each unit's full-model leverage h_ii = 1/n_g + x~_i'(X~'X~)^-1 x~_i,
// so coefficients and HC2 standard errors equal OLS with the indicators.
//
// By Frisch-Waugh-Lovell the coefficients, residuals and leverages are those
// of OLS(d) with Indicators(absorb) appended, so standard errors, CIs (t with
// N-P-G degrees of freedom, G groups) and p-values agree with it too, and R2
// is that full model's (sums of squares around the overall mean). The cost
// is O(N P²) in the P columns of d, whatever the number of groups; OLS with
// 600 school indicators is O(N·600²).
//
// absorb gives each student's group, in the order of d.Y; notes and reasons
// call the groups schools. The fit has no intercept term (it is one of the
// group effects), and the group effects themselves are not reported.
//
// Differences from OLS with the indicators, which a caller must know:
//   - Students alone in their group are left out before fitting, and Fit.N
//     counts the students kept. They have leverage 1 (their school effect
//     fits them exactly), so they carry no information about the other
//     terms, and OLS would refuse the whole model instead. A sentence saying
//     how many were left out is the last of Fit.Notes.
//   - The group effects come first, so a column that does not vary within
//     any group (e.g. a grade indicator when each school has one grade) is
//     the one dropped, where OLS might drop a school indicator instead. The
//     coefficients of the remaining terms are the same either way.
//   - Fit.P counts the estimated terms only and Fit.Absorbed the groups.
//
// A term of interest that does not vary within any group is *NotEstimable,
// as are the other cases OLS refuses (an exact combination of other columns
// within groups, too few students, an exact fit, leverage 1 for some student
// even after the lone students are left out).
func OLSAbsorb(d Design, absorb []string, interest ...string) (*Fit, error) {
	return WLSAbsorb(d, absorb, Weighting{}, interest...)
}

// Weighting is what WLSAbsorb adds to OLSAbsorb: weights per student (from
// a matching, say) and clusters for cluster-robust standard errors.
type Weighting struct {
	// Weights, one per student in the order of d.Y, each above 0; nil weighs
	// every student 1. They are analytic weights, as R's lm(weights=) and
	// estimatr's lm_robust(weights=) read them: rows are scaled by √w.
	Weights []float64
	// Clusters, one per student; nil: no cluster-robust standard errors.
	// Every absorb group must lie within one cluster (schools clustered by
	// school, or by district).
	Clusters []string
}

// WLSAbsorb is OLSAbsorb with weights and, when Weighting.Clusters is
// given, CR2 cluster-robust standard errors beside the HC2 ones (Fit.Cluster).
//
// Weighted, every unit's row is multiplied by √wᵢ after demeaning y and the
// columns within absorb groups by their weighted means, and a unit's
// leverage from its group effect is wᵢ/Σ_g w. Coefficients, HC2 and CR2
// equal those of estimatr's lm_robust with the group indicators as
// explicit columns and the same weights.
//
// CR2 (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018) adjusts each
// cluster's residuals before the sandwich; with weights it follows
// estimatr's lm_robust (an unweighted working model, see cr2Cluster), and
// without them it is the usual (I - H_cc)^(-1/2). It is computed from the
// demeaned regression alone, the school effects entering through their
// closed form. Its intervals use the t distribution with G-1 degrees of
// freedom (G clusters), a simpler choice than lm_robust's Satterthwaite
// degrees of freedom; the standard errors agree.
func WLSAbsorb(d Design, absorb []string, wt Weighting, interest ...string) (*Fit, error) {
	n := len(d.Y)
	if n == 0 {
		return nil, notEstimable("there are no students in the sample")
	}
	if err := checkDesign(d, interest); err != nil {
		return nil, err
	}
	if len(absorb) != n {
		return nil, fmt.Errorf("impact: absorb has %d values for %d outcomes", len(absorb), n)
	}
	if wt.Weights != nil {
		if len(wt.Weights) != n {
			return nil, fmt.Errorf("impact: %d weights for %d outcomes", len(wt.Weights), n)
		}
		for i, w := range wt.Weights {
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("impact: weight %d is %v; weights must be above 0 and finite", i+1, w)
			}
		}
	}
	if wt.Clusters != nil && len(wt.Clusters) != n {
		return nil, fmt.Errorf("impact: %d clusters for %d outcomes", len(wt.Clusters), n)
	}
	isInterest, err := varies(d, interest)
	if err != nil {
		return nil, err
	}

	// Groups, numbered in order of appearance, and the students kept: those
	// who share their group with someone.
	index := map[string]int{}
	gid := make([]int, n)
	var size []int
	var level []string
	for i, l := range absorb {
		g, ok := index[l]
		if !ok {
			g = len(size)
			index[l] = g
			size = append(size, 0)
			level = append(level, l)
		}
		gid[i] = g
		size[g]++
	}
	rows := make([]int, 0, n)
	for i, g := range gid {
		if size[g] > 1 {
			rows = append(rows, i)
		}
	}
	m, alone := len(rows), n-len(rows)
	if m == 0 {
		return nil, notEstimable("every student is alone in their school in this sample, so there is no comparison within schools to learn from")
	}
	renum := make([]int, len(size))
	for i := range renum {
		renum[i] = -1
	}
	grp := make([]int, m)
	var gsize []int
	var glevel []string
	for k, i := range rows {
		old := gid[i]
		if renum[old] < 0 {
			renum[old] = len(gsize)
			gsize = append(gsize, size[old])
			glevel = append(glevel, level[old])
		}
		grp[k] = renum[old]
	}
	G := len(gsize)
	kept := func(x []float64) []float64 { return keptRows(x, rows, alone) }
	y := kept(d.Y)
	var w []float64
	if wt.Weights != nil {
		w = kept(wt.Weights)
	} else {
		w = make([]float64, m)
		for i := range w {
			w[i] = 1
		}
	}
	dm := newDemeaner(grp, G, w)
	yw, _ := dm.demean(y)

	// Candidates in OLS's order (nuisance columns, then the terms of
	// interest), demeaned. Each is judged against its length before
	// demeaning, as OLS judges it after the indicators.
	var cands []Column
	var scale []float64
	varies := map[string]bool{}
	add := func(c Column) error {
		x := kept(c.X)
		xw, v := dm.demean(x)
		if isInterest[c.Name] && !v {
			return &NotEstimable{Reason: noWithinVariation(c.Name)}
		}
		varies[c.Name] = v
		cands = append(cands, Column{Name: c.Name, X: xw})
		scale = append(scale, math.Sqrt(weightedDot(x, x, w)))
		return nil
	}
	for _, c := range d.Columns {
		if !isInterest[c.Name] {
			if err := add(c); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range d.Columns {
		if isInterest[c.Name] {
			if err := add(c); err != nil {
				return nil, err
			}
		}
	}
	sel := selectColumns(cands, scale)
	for _, dr := range sel.dropped {
		name := cands[dr.index].Name
		if !isInterest[name] {
			continue
		}
		if len(sel.kept)+G >= m {
			return nil, tooFewAbsorbed(m, len(cands), G, alone)
		}
		if len(dr.combination) == 0 {
			return nil, notEstimable("%s varies too little within schools to be told apart from the differences between schools", name)
		}
		how := "within every school it is an exact combination of them"
		if len(dr.combination) == 1 {
			how = "within every school one is determined by the other"
		}
		return nil, notEstimable("%s cannot be separated from %s: in this sample %s, so the model cannot tell their effects apart",
			name, joinNames(dr.combination), how)
	}
	fit := &Fit{N: m, Absorbed: G}
	dropNote := map[string]string{}
	for _, dr := range sel.dropped {
		name := cands[dr.index].Name
		switch {
		case !varies[name]:
			dropNote[name] = fmt.Sprintf("%s was left out: it does not vary within any school, so the differences between schools already account for it", name)
		case len(dr.combination) == 0:
			dropNote[name] = fmt.Sprintf("%s was left out: it varies too little within schools to be told apart from the differences between schools", name)
		default:
			dropNote[name] = fmt.Sprintf("%s was left out: within schools it is an exact combination of %s in this sample, so it adds nothing the model does not already have", name, joinNames(dr.combination))
		}
	}
	for _, c := range d.Columns {
		if note, ok := dropNote[c.Name]; ok {
			fit.Dropped = append(fit.Dropped, c.Name)
			fit.Notes = append(fit.Notes, note)
		}
	}

	p := len(sel.kept)
	if m <= p+G {
		return nil, tooFewAbsorbed(m, p, G, alone)
	}
	// Columns in the caller's order, as OLS does.
	keep := map[string]bool{}
	for _, k := range sel.kept {
		keep[cands[k].Name] = true
	}
	var X *mat.Dense
	if p > 0 {
		X = mat.NewDense(m, p, nil)
	}
	for _, c := range d.Columns {
		if keep[c.Name] {
			fit.Terms = append(fit.Terms, c.Name)
		}
	}
	within := map[string][]float64{}
	for _, c := range cands {
		within[c.Name] = c.X
	}
	for j, name := range fit.Terms {
		X.SetCol(j, within[name])
	}
	base := make([]float64, m)
	for k, g := range grp {
		base[k] = w[k] / dm.count[g]
	}

	ls, exact, err := fitHC2(X, yw, base)
	if err != nil {
		return nil, err
	}
	if exact >= 0 {
		return nil, &NotEstimable{Reason: absorbedExactFitReason(cands, sel.kept, grp, glevel, exact, rows[exact])}
	}
	tss := weightedSumSquares(y, w)
	if ls.rss <= 1e-12*tss {
		return nil, notEstimable("the model reproduces every student's outcome exactly, so there is no leftover variation to measure its uncertainty from")
	}
	fit.R2 = 1 - ls.rss/tss
	fit.P = p
	fit.DF = m - p - G
	if p > 0 {
		if err := fit.setCoef(ls, isInterest); err != nil {
			return nil, err
		}
		if wt.Clusters != nil {
			if err := fit.setCluster(ls, keptRows(wt.Clusters, rows, alone), grp, w); err != nil {
				return nil, err
			}
		}
	} else {
		fit.Coef = map[string]Estimate{}
		if !finite(fit.R2) {
			return nil, notEstimable("the computation did not give a finite R²")
		}
	}
	switch {
	case alone == 1:
		fit.Notes = append(fit.Notes, "1 student was alone in their school and was left out: a student alone in a school says nothing about the comparison within schools")
	case alone > 1:
		fit.Notes = append(fit.Notes, fmt.Sprintf("%d students were alone in their school and were left out: they say nothing about the comparison within schools", alone))
	}
	return fit, nil
}

// demeaner subtracts weighted group means and scales each row by √w. The
// groups are numbered 0..G-1 once, so each column costs two passes over
// slices, with no map look-ups.
type demeaner struct {
	grp   []int     // group of each row
	w     []float64 // weight of each row
	sqw   []float64 // √w
	first []int     // first row of each group
	count []float64 // total weight of each group (its rows, unweighted)
	sum   []float64 // scratch
	vary  []bool    // scratch
}

func newDemeaner(grp []int, groups int, w []float64) *demeaner {
	dm := &demeaner{grp: grp, w: w, sqw: make([]float64, len(w)), first: make([]int, groups), count: make([]float64, groups),
		sum: make([]float64, groups), vary: make([]bool, groups)}
	for g := range dm.first {
		dm.first[g] = -1
	}
	for k, g := range grp {
		if dm.first[g] < 0 {
			dm.first[g] = k
		}
		dm.count[g] += w[k]
		dm.sqw[k] = math.Sqrt(w[k])
	}
	return dm
}

// demean returns √w (x minus its weighted group means), and whether x
// varies within any group. Rows of a group where x does not vary get
// exactly 0, not rounding dust, so "no variation within groups" is decided
// exactly.
func (dm *demeaner) demean(x []float64) (out []float64, varies bool) {
	for g := range dm.sum {
		dm.sum[g], dm.vary[g] = 0, false
	}
	for k, g := range dm.grp {
		dm.sum[g] += dm.w[k] * x[k]
		if x[k] != x[dm.first[g]] {
			dm.vary[g] = true
		}
	}
	for g := range dm.sum {
		dm.sum[g] /= dm.count[g] // now the mean
		varies = varies || dm.vary[g]
	}
	out = make([]float64, len(x))
	for k, g := range dm.grp {
		if dm.vary[g] {
			out[k] = dm.sqw[k] * (x[k] - dm.sum[g])
		}
	}
	return out, varies
}

// keptRows picks the rows kept (all of x when no student was left out alone).
func keptRows[T any](x []T, rows []int, alone int) []T {
	if alone == 0 {
		return x
	}
	out := make([]T, len(rows))
	for k, i := range rows {
		out[k] = x[i]
	}
	return out
}

func weightedDot(a, b, w []float64) float64 {
	var s float64
	for i := range a {
		s += w[i] * a[i] * b[i]
	}
	return s
}

// weightedSumSquares is Σ w (y - ȳ_w)², ȳ_w the weighted mean.
func weightedSumSquares(y, w []float64) float64 {
	var sw, swy float64
	for i, v := range y {
		sw += w[i]
		swy += w[i] * v
	}
	mean := swy / sw
	var ss float64
	for i, v := range y {
		ss += w[i] * (v - mean) * (v - mean)
	}
	return ss
}

func tooFewAbsorbed(n, p, groups, alone int) error {
	left := ""
	if alone > 0 {
		left = fmt.Sprintf(" (after leaving out %d alone in their school)", alone)
	}
	return notEstimable("the sample has %d students%s but the model has %d terms, counting one for each of its %d schools; it needs more students than terms, or nothing is left to measure uncertainty from",
		n, left, p+groups, groups)
}

// noWithinVariation explains a term of interest that varies, but never
// between students of the same school.
func noWithinVariation(name string) string {
	switch {
	case name == "tutored":
		return "tutored does not vary within any school: in every school either all or none of the sample were tutored"
	case strings.Contains(name, "="):
		return fmt.Sprintf("%s does not vary within any school: in every school either all or none of the sample are in %s", name, name)
	}
	return fmt.Sprintf("%s does not vary within any school: within each school every student in the sample has the same %s", name, name)
}

// absorbedExactFitReason explains leverage 1 at kept row k (row of the
// caller's design: row). The usual cause is a column that varies within one
// school only, where it singles out one student: with that school's effect,
// the model then fits that student exactly.
func absorbedExactFitReason(cands []Column, kept, grp []int, glevel []string, k, row int) string {
	for _, j := range kept {
		x := cands[j].X // demeaned: exactly 0 in schools where it does not vary
		confined := true
		var others []float64
		for r, v := range x {
			switch {
			case grp[r] != grp[k]:
				if v != 0 {
					confined = false
				}
			case r != k:
				others = append(others, v)
			}
			if !confined {
				break
			}
		}
		if !confined {
			continue
		}
		if _, same := constantValue(others); same && (len(others) == 0 || others[0] != x[k]) {
			return fmt.Sprintf("%s varies within only one school (%s), where it singles out one student, so the model fits that student's outcome exactly", cands[j].Name, glevel[grp[k]])
		}
	}
	return fmt.Sprintf("the student in row %d is fitted exactly by the model (within their school, some combination of the columns singles them out), so a robust standard error cannot be computed", row+1)
}
