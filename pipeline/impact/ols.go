// Package impact fits the models behind METRICS.md's "Impact" section: OLS with
// HC2 robust standard errors for the adjusted effect, Hedges' g for the
// unadjusted one, and the WWC baseline-equivalence reading.
//
// The analysis table is built in SQL elsewhere; this package takes plain
// slices. Every function either returns finite numbers or a *NotEstimable that
// says in plain words why the figure cannot be given: a report shows that
// sentence where the number would have been, so no NaN, Inf or panic may leak.
package impact

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Intercept is the name of the constant term in Fit.Coef.
const Intercept = "(intercept)"

// Design is one regression: Y on named columns (an intercept is always added).
// Order matters only for which nuisance column is dropped when several are
// collinear: the later one goes.
type Design struct {
	Y       []float64
	Columns []Column // terms of interest first, then covariates, then indicator groups
}

// Column is one regressor, one value per student (same order as Design.Y).
type Column struct {
	Name string
	X    []float64
}

// Estimate is one coefficient (or effect size) with its uncertainty.
type Estimate struct {
	B, SE  float64 // estimate and its standard error (HC2 in OLS)
	Lo, Hi float64 // 95% confidence interval
	T, P   float64 // B/SE and its two-sided p-value
}

// Fit is an estimated regression.
//
// In a fit from OLSAbsorb, N counts only the students kept (those alone in
// their group are left out), P counts the estimated terms only (there is no
// intercept), Absorbed is the number of group effects, DF is N-P-Absorbed,
// and Notes ends with one more sentence when students were left out. In
// both, Notes[i] explains Dropped[i] for every i < len(Dropped).
type Fit struct {
	N, P     int                 // observations, parameters kept (incl. intercept; OLSAbsorb: estimated terms only)
	Absorbed int                 // OLSAbsorb: number of absorbed group effects (0 for OLS)
	DF       int                 // residual degrees of freedom, N-P-Absorbed: the t quantiles use it
	Terms    []string            // kept terms in model order, Intercept first in OLS (Coef is a map)
	Coef     map[string]Estimate // by column name, Intercept too
	Dropped  []string            // columns dropped as collinear, in Design order
	Notes    []string            // one plain sentence per dropped column, saying why (then OLSAbsorb's note on left-out students)
	R2       float64             // 1 - SSR/SST, SST around the mean outcome (for OLSAbsorb that of the full model with group indicators)

	// WLSAbsorb with clusters: CR2 cluster-robust estimates by term (t with
	// Clusters-1 degrees of freedom), or nil with ClusterNote saying why not.
	Cluster     map[string]Estimate
	Clusters    int
	ClusterNote string
}

// Row is one line of a coefficient table.
type Row struct {
	Term string
	Estimate
}

// Rows returns the coefficients in model order, for reports and exports.
func (f *Fit) Rows() []Row {
	rows := make([]Row, 0, len(f.Terms))
	for _, t := range f.Terms {
		rows = append(rows, Row{Term: t, Estimate: f.Coef[t]})
	}
	return rows
}

// NotEstimable says why a figure cannot be computed from these data. Reason is
// written for the report's reader, not for a programmer.
type NotEstimable struct{ Reason string }

func (e *NotEstimable) Error() string { return "not estimable: " + e.Reason }

func notEstimable(format string, args ...any) error {
	return &NotEstimable{Reason: fmt.Sprintf(format, args...)}
}

// IsNotEstimable reports whether err is (or wraps) a *NotEstimable and returns it.
func IsNotEstimable(err error) (*NotEstimable, bool) {
	var ne *NotEstimable
	ok := errors.As(err, &ne)
	return ne, ok
}

const (
	// A column whose part not explained by the columns before it is smaller
	// than this fraction of its length is treated as an exact combination of
	// them. Real collinearity among 0/1 indicators leaves ~1e-15; genuine
	// columns, even a one-student indicator among 100,000, leave far more.
	collinearTol = 1e-9
	// Leverage this close to 1 means the model reproduces that student's
	// outcome exactly, and HC2's e²/(1-h) is 0/0.
	leverageTol = 1e-9
)

// OLS fits y = intercept + columns by least squares with HC2
// heteroskedasticity-robust standard errors (MacKinnon & White 1985):
//
//	V = (X'X)⁻¹ X' diag(eᵢ²/(1-hᵢᵢ)) X (X'X)⁻¹,  hᵢᵢ the leverage.
//
// CIs and p-values use the t distribution with N-P degrees of freedom.
//
// interest names the columns that must be estimable. The result is a
// *NotEstimable when one of them does not vary or is an exact combination of
// the other columns, when N <= P, when the outcome does not vary or is fitted
// exactly, or when some student has leverage 1 (e.g. the only student of a
// school indicator: drop such students before fitting, they carry no
// information about the other coefficients). Nuisance columns that are exact
// combinations of earlier ones are dropped and listed in Fit.Dropped and
// Fit.Notes. Malformed input (ragged lengths, NaN, duplicate or unknown names)
// is a programming error and gets an ordinary error.
func OLS(d Design, interest ...string) (*Fit, error) {
	n := len(d.Y)
	if n == 0 {
		return nil, notEstimable("there are no students in the sample")
	}
	if err := checkDesign(d, interest); err != nil {
		return nil, err
	}
	isInterest, err := varies(d, interest)
	if err != nil {
		return nil, err
	}

	// Choose the columns: intercept, then nuisance columns, then the terms of
	// interest, so a term of interest is never kept at the expense of a
	// nuisance column it cannot be told apart from.
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	cands := []Column{{Name: Intercept, X: ones}}
	for _, c := range d.Columns {
		if !isInterest[c.Name] {
			cands = append(cands, c)
		}
	}
	for _, c := range d.Columns {
		if isInterest[c.Name] {
			cands = append(cands, c)
		}
	}
	sel := selectColumns(cands, nil)
	fit := &Fit{N: n}
	for _, dr := range sel.dropped {
		name := cands[dr.index].Name
		if isInterest[name] {
			if len(sel.kept) >= n {
				return nil, tooFew(n, len(cands))
			}
			how := "it is an exact combination of them"
			if len(dr.combination) == 1 {
				how = "one is determined by the other"
			}
			return nil, notEstimable("%s cannot be separated from %s: in this sample %s, so the model cannot tell their effects apart",
				name, joinNames(dr.combination), how)
		}
	}
	// Report nuisance drops in the caller's order.
	dropNote := map[string]string{}
	for _, dr := range sel.dropped {
		name := cands[dr.index].Name
		if len(dr.combination) == 0 || (len(dr.combination) == 1 && dr.combination[0] == Intercept) {
			dropNote[name] = fmt.Sprintf("%s was left out: it has the same value for every student in the sample", name)
		} else {
			dropNote[name] = fmt.Sprintf("%s was left out: it is an exact combination of %s in this sample, so it adds nothing the model does not already have", name, joinNames(dr.combination))
		}
	}
	for _, c := range d.Columns {
		if note, ok := dropNote[c.Name]; ok {
			fit.Dropped = append(fit.Dropped, c.Name)
			fit.Notes = append(fit.Notes, note)
		}
	}

	p := len(sel.kept)
	if n <= p {
		return nil, tooFew(n, p)
	}
	// Estimate in the caller's order (intercept first), whatever order the
	// selection used, so Terms and Rows read as the design was written.
	keep := map[string]bool{}
	for _, k := range sel.kept {
		keep[cands[k].Name] = true
	}
	X := mat.NewDense(n, p, nil)
	X.SetCol(0, ones)
	fit.Terms = []string{Intercept}
	for _, c := range d.Columns {
		if keep[c.Name] {
			X.SetCol(len(fit.Terms), c.X)
			fit.Terms = append(fit.Terms, c.Name)
		}
	}
	ls, exact, err := fitHC2(X, d.Y, nil)
	if err != nil {
		return nil, err
	}
	if exact >= 0 {
		return nil, &NotEstimable{Reason: exactFitReason(cands, sel.kept, exact)}
	}
	_, tss := sumSquares(d.Y)
	if ls.rss <= 1e-12*tss {
		return nil, notEstimable("the model reproduces every student's outcome exactly, so there is no leftover variation to measure its uncertainty from")
	}
	fit.R2 = 1 - ls.rss/tss
	fit.P = p
	fit.DF = n - p
	if err := fit.setCoef(ls, isInterest); err != nil {
		return nil, err
	}
	return fit, nil
}

// lsq is a least-squares fit with its HC2 covariance: the part OLS and
// OLSAbsorb share.
type lsq struct {
	beta  []float64
	v     *mat.Dense // HC2 covariance of beta; nil when X has no columns
	rss   float64
	a     *mat.Dense    // X R⁻¹, the thin Q: row i's leverage is its squared length
	rInv  *mat.TriDense // R⁻¹
	r     *mat.TriDense // R
	resid []float64     // y - Xβ
}

// fitHC2 regresses y on the columns of X (full column rank, chosen by
// selectColumns) with HC2 standard errors. base[i] (nil: 0) is the leverage
// row i already has from regressors partialled out of X and y beforehand, so
// hᵢᵢ = base[i] + xᵢ'(X'X)⁻¹xᵢ is its leverage in the full model (1/n_g for
// absorbed group effects, by Frisch-Waugh-Lovell). exact is the first row
// whose leverage is within leverageTol of 1, or -1; the covariance is not
// computed then.
func fitHC2(X *mat.Dense, y, base []float64) (ls lsq, exact int, err error) {
	n := len(y)
	p := 0
	if X != nil {
		_, p = X.Dims()
	}
	if p == 0 {
		// Nothing but what was partialled out: the residual is y itself.
		for i, v := range y {
			if base != nil && 1-base[i] < leverageTol {
				return lsq{}, i, nil
			}
			ls.rss += v * v
		}
		return ls, -1, nil
	}
	yv := mat.NewVecDense(n, append([]float64(nil), y...))

	// Householder QR, X = QR. With A = X R⁻¹ (the thin Q): β = R⁻¹ A'y,
	// hᵢᵢ = |row i of A|², and V = R⁻¹ (A' W A) R⁻ᵀ, which is the HC2
	// sandwich without ever forming (X'X)⁻¹ or the n×n Q.
	var qr mat.QR
	qr.Factorize(X)
	var rFull mat.Dense
	qr.RTo(&rFull)
	R := mat.NewTriDense(p, mat.Upper, nil)
	R.Copy(rFull.Slice(0, p, 0, p))
	var rInv mat.TriDense
	if err := rInv.InverseTri(R); err != nil {
		return lsq{}, -1, notEstimable("the columns are too close to being combinations of one another to estimate reliably")
	}
	var A mat.Dense
	A.Mul(X, &rInv)
	var aty, beta mat.VecDense
	aty.MulVec(A.T(), yv)
	beta.MulVec(&rInv, &aty)

	var fitted mat.VecDense
	fitted.MulVec(X, &beta)
	w := make([]float64, n) // HC2 weights eᵢ²/(1-hᵢᵢ)
	ls.resid = make([]float64, n)
	for i := 0; i < n; i++ {
		e := y[i] - fitted.AtVec(i)
		ls.resid[i] = e
		ls.rss += e * e
		h := 0.0
		if base != nil {
			h = base[i]
		}
		for _, a := range A.RawRowView(i) {
			h += a * a
		}
		if 1-h < leverageTol {
			return lsq{}, i, nil
		}
		w[i] = e * e / (1 - h)
	}

	// Meat A' diag(w) A: scale the rows of a copy of A by sqrt(wᵢ).
	var WA mat.Dense
	WA.CloneFrom(&A)
	for i := 0; i < n; i++ {
		s := math.Sqrt(w[i])
		row := WA.RawRowView(i)
		for j := range row {
			row[j] *= s
		}
	}
	var meat, tmp, V mat.Dense
	meat.Mul(WA.T(), &WA)
	tmp.Mul(&rInv, &meat)
	V.Mul(&tmp, rInv.T())
	ls.beta = make([]float64, p)
	for j := range ls.beta {
		ls.beta[j] = beta.AtVec(j)
	}
	ls.v = &V
	ls.a, ls.rInv, ls.r = &A, &rInv, R
	return ls, -1, nil
}

// setCoef fills f.Coef for f.Terms (in the order of ls.beta) with CIs and
// p-values from the t distribution with f.DF degrees of freedom, and checks
// that every figure, R2 included, is finite.
func (f *Fit) setCoef(ls lsq, isInterest map[string]bool) error {
	tq := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(f.DF)}
	crit := tq.Quantile(0.975)
	f.Coef = make(map[string]Estimate, len(f.Terms))
	for j, name := range f.Terms {
		b := ls.beta[j]
		se := math.Sqrt(math.Max(ls.v.At(j, j), 0))
		est := Estimate{B: b, SE: se, Lo: b - crit*se, Hi: b + crit*se}
		if se > 0 {
			est.T = b / se
			est.P = 2 * tq.Survival(math.Abs(est.T))
		} else {
			// Only the students the model fits exactly inform this term; its
			// uncertainty cannot be measured. T=0, P=1 claim nothing.
			if isInterest[name] {
				return notEstimable("the students who inform %s are all fitted exactly, so its uncertainty cannot be measured", name)
			}
			est.T, est.P = 0, 1
		}
		if !finite(est.B, est.SE, est.Lo, est.Hi, est.T, est.P) {
			return notEstimable("the computation for %s did not give a finite number (the columns may be badly scaled)", name)
		}
		f.Coef[name] = est
	}
	if !finite(f.R2) {
		return notEstimable("the computation did not give a finite R²")
	}
	return nil
}

// sumSquares returns the mean of y and the sum of squares around it.
func sumSquares(y []float64) (mean, ss float64) {
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	for _, v := range y {
		ss += (v - mean) * (v - mean)
	}
	return mean, ss
}

func tooFew(n, p int) error {
	return notEstimable("the sample has %d students but the model has %d terms (intercept included); it needs more students than terms, or nothing is left to measure uncertainty from", n, p)
}

// checkDesign catches caller mistakes, which are not "not estimable" findings.
func checkDesign(d Design, interest []string) error {
	n := len(d.Y)
	for i, v := range d.Y {
		if !finite(v) {
			return fmt.Errorf("impact: outcome at row %d is %v", i, v)
		}
	}
	seen := map[string]bool{}
	for _, c := range d.Columns {
		switch {
		case c.Name == "" || c.Name == Intercept:
			return fmt.Errorf("impact: column name %q is not allowed", c.Name)
		case seen[c.Name]:
			return fmt.Errorf("impact: column %q appears twice", c.Name)
		case len(c.X) != n:
			return fmt.Errorf("impact: column %q has %d values for %d outcomes", c.Name, len(c.X), n)
		}
		seen[c.Name] = true
		for i, v := range c.X {
			if !finite(v) {
				return fmt.Errorf("impact: column %q at row %d is %v", c.Name, i, v)
			}
		}
	}
	for _, name := range interest {
		if !seen[name] {
			return fmt.Errorf("impact: term of interest %q is not a column of the design", name)
		}
	}
	return nil
}

type dropped struct {
	index       int      // into the candidate list
	combination []string // kept columns it is a combination of
}

type selection struct {
	kept    []int
	dropped []dropped
}

// selectColumns keeps each candidate unless it is (numerically) an exact
// linear combination of the candidates kept before it. It is classical
// Gram-Schmidt with a second orthogonalisation pass ("twice is enough"), which
// also yields the combination so a note can name the columns involved.
//
// scale[k] (nil: each candidate's own length) is the length the leftover part
// of candidate k is compared with. OLSAbsorb passes the lengths of the
// columns before demeaning, so a column is judged against what it was, as OLS
// would judge it after the group indicators.
func selectColumns(cands []Column, scale []float64) selection {
	var sel selection
	var q [][]float64 // orthonormal basis of the kept columns
	var r [][]float64 // r[j] = coefficients of kept column j on q[0..j]
	for k, c := range cands {
		v := append([]float64(nil), c.X...)
		norm0 := math.Sqrt(dot(v, v))
		if scale != nil {
			norm0 = scale[k]
		}
		coef := make([]float64, len(q))
		for pass := 0; pass < 2; pass++ {
			for j, qj := range q {
				a := dot(qj, v)
				coef[j] += a
				axpy(-a, qj, v)
			}
		}
		norm := math.Sqrt(dot(v, v))
		if norm0 == 0 || norm <= collinearTol*norm0 {
			sel.dropped = append(sel.dropped, dropped{index: k, combination: combinationNames(cands, sel.kept, r, coef)})
			continue
		}
		for i := range v {
			v[i] /= norm
		}
		q = append(q, v)
		r = append(r, append(coef, norm))
		sel.kept = append(sel.kept, k)
	}
	return sel
}

// combinationNames solves R c = coef (back substitution) to express a dropped
// column in the kept columns, and names those with a non-negligible weight.
func combinationNames(cands []Column, kept []int, r [][]float64, coef []float64) []string {
	m := len(coef)
	c := make([]float64, m)
	for i := m - 1; i >= 0; i-- {
		s := coef[i]
		for j := i + 1; j < m; j++ {
			s -= r[j][i] * c[j]
		}
		c[i] = s / r[i][i]
	}
	big := 0.0
	for _, v := range c {
		big = math.Max(big, math.Abs(v))
	}
	var names []string
	for i, v := range c {
		if math.Abs(v) > 1e-8*big {
			names = append(names, cands[kept[i]].Name)
		}
	}
	return names
}

// joinNames lists columns for a sentence, calling the constant "the intercept"
// and cutting long lists short.
func joinNames(names []string) string {
	var out []string
	for _, n := range names {
		if n == Intercept {
			n = "the intercept"
		}
		out = append(out, n)
	}
	const show = 5
	if len(out) > show {
		out = append(out[:show], fmt.Sprintf("%d other columns", len(names)-show))
	}
	switch len(out) {
	case 0:
		return "the other columns"
	case 1:
		return out[0]
	default:
		return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
	}
}

// exactFitReason explains leverage 1 at row i: usually one column singles the
// student out (the only student in a school, the only tutored student).
func exactFitReason(cands []Column, kept []int, i int) string {
	for _, k := range kept {
		c := cands[k]
		if !singlesOut(c.X, i) {
			continue
		}
		v := c.X[i]
		switch {
		case strings.Contains(c.Name, "=") && v == 1:
			return fmt.Sprintf("%s has a single student, whose outcome the model fits exactly", c.Name)
		case isBinary(c.X):
			other := 1 - v
			return fmt.Sprintf("only one student %s (every other student %s), so the model fits that student's outcome exactly",
				describe(c.Name, v), describe(c.Name, other))
		default:
			return fmt.Sprintf("%s singles out one student, whose outcome the model fits exactly", c.Name)
		}
	}
	// The only student at the reference level of an indicator group: every
	// column of the group is 0 there and only there.
	groups := map[string][]Column{}
	var order []string
	for _, k := range kept {
		if prefix, _, ok := strings.Cut(cands[k].Name, "="); ok {
			if groups[prefix] == nil {
				order = append(order, prefix)
			}
			groups[prefix] = append(groups[prefix], cands[k])
		}
	}
	for _, prefix := range order {
		if onlyReference(groups[prefix], i) {
			return fmt.Sprintf("the reference %s (the one with no %s= column) has a single student, whose outcome the model fits exactly", prefix, prefix)
		}
	}
	return fmt.Sprintf("the student in row %d is fitted exactly by the model (some combination of the columns singles them out), so a robust standard error cannot be computed", i+1)
}

// onlyReference reports whether row i is the only row where every column of
// an indicator group is 0.
func onlyReference(cols []Column, i int) bool {
	n := len(cols[0].X)
	for r := 0; r < n; r++ {
		zero := true
		for _, c := range cols {
			if c.X[r] != 0 {
				zero = false
				break
			}
		}
		if zero != (r == i) {
			return false
		}
	}
	return true
}

// singlesOut reports whether x takes one value at row i and another, common
// value everywhere else.
func singlesOut(x []float64, i int) bool {
	if len(x) < 2 {
		return false
	}
	rest := x[0]
	if i == 0 {
		rest = x[1]
	}
	if x[i] == rest {
		return false
	}
	for j, v := range x {
		if j != i && v != rest {
			return false
		}
	}
	return true
}

func isBinary(x []float64) bool {
	for _, v := range x {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// describe says "was tutored" / "is in school=104" / "has am = 1".
func describe(name string, v float64) string {
	switch {
	case name == "tutored" && v == 1:
		return "was tutored"
	case name == "tutored" && v == 0:
		return "was not tutored"
	case strings.Contains(name, "=") && v == 1:
		return "is in " + name
	case strings.Contains(name, "=") && v == 0:
		return "is outside " + name
	}
	return fmt.Sprintf("has %s = %s", name, strconv.FormatFloat(v, 'g', -1, 64))
}

// noVariation explains a term of interest that is the same for everyone.
func noVariation(name string, v float64) string {
	switch {
	case name == "tutored" && v == 1:
		return "the tutored indicator does not vary: every student in the sample was tutored, so there is no comparison group"
	case name == "tutored" && v == 0:
		return "the tutored indicator does not vary: no student in the sample was tutored"
	case v == 0 || v == 1:
		return fmt.Sprintf("the %s indicator does not vary: every student in the sample %s", name, describe(name, v))
	}
	return fmt.Sprintf("%s does not vary: every student in the sample has %s = %s", name, name, strconv.FormatFloat(v, 'g', -1, 64))
}

func constantValue(x []float64) (float64, bool) {
	if len(x) == 0 {
		return 0, true
	}
	for _, v := range x[1:] {
		if v != x[0] {
			return 0, false
		}
	}
	return x[0], true
}

// Indicators returns 0/1 columns for a categorical variable, one per level
// except the reference level (the first in sorted order; numbers sort as
// numbers, so grade 3 comes before grade 10). Columns are named
// prefix+"="+level. A variable with a single level yields no columns: it
// would not vary.
func Indicators(prefix string, levels []string) []Column {
	seen := map[string]bool{}
	var uniq []string
	for _, l := range levels {
		if !seen[l] {
			seen[l] = true
			uniq = append(uniq, l)
		}
	}
	sort.Slice(uniq, func(a, b int) bool { return levelLess(uniq[a], uniq[b]) })
	if len(uniq) < 2 {
		return nil
	}
	cols := make([]Column, 0, len(uniq)-1)
	for _, lv := range uniq[1:] {
		x := make([]float64, len(levels))
		for i, l := range levels {
			if l == lv {
				x[i] = 1
			}
		}
		cols = append(cols, Column{Name: prefix + "=" + lv, X: x})
	}
	return cols
}

func levelLess(a, b string) bool {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	switch {
	case ea == nil && eb == nil && fa != fb:
		return fa < fb
	case ea == nil && eb != nil:
		return true // numbers before words
	case ea != nil && eb == nil:
		return false
	}
	return a < b
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(alpha float64, x, y []float64) {
	for i := range x {
		y[i] += alpha * x[i]
	}
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// varies checks that every term of interest and the outcome vary (a model
// cannot say anything otherwise), and returns the terms of interest as a set.
func varies(d Design, interest []string) (map[string]bool, error) {
	isInterest := map[string]bool{}
	for _, name := range interest {
		isInterest[name] = true
	}
	byName := map[string][]float64{}
	for _, c := range d.Columns {
		byName[c.Name] = c.X
	}
	for _, name := range interest {
		if v, constant := constantValue(byName[name]); constant {
			return nil, &NotEstimable{Reason: noVariation(name, v)}
		}
	}
	if _, constant := constantValue(d.Y); constant {
		return nil, notEstimable("every student in the sample has the same outcome, so there is nothing for the model to explain")
	}
	return isInterest, nil
}
