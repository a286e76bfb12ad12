package impact

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// HedgesG is the standardized mean difference (treated minus comparison) with
// the small-sample correction of the WWC Procedures Handbook v5.0:
//
//	s  = sqrt(((n1-1)s1² + (n2-1)s2²) / (n1+n2-2))   pooled SD, n-1 weights
//	J  = 1 - 3/(4(n1+n2) - 9)
//	g  = J (m1 - m2) / s
//	SE = J sqrt((n1+n2)/(n1 n2) + g²/(2(n1+n2)))       (g is the corrected g)
//
// The 95% CI, T and P use the normal approximation. It is a *NotEstimable
// when a group has fewer than 2 students or everyone has the same score.
func HedgesG(treated, comparison []float64) (Estimate, error) {
	return WeightedHedgesG(treated, nil, comparison, nil)
}

func normalEstimate(b, se float64) Estimate {
	z := distuv.UnitNormal.Quantile(0.975)
	t := b / se
	return Estimate{B: b, SE: se, Lo: b - z*se, Hi: b + z*se, T: t, P: 2 * distuv.UnitNormal.Survival(math.Abs(t))}
}

// The WWC baseline-equivalence readings.
const (
	Satisfied       = "satisfied"
	NeedsAdjustment = "satisfied only with statistical adjustment"
	NotEquivalent   = "not equivalent"
)

// Equivalence is the baseline comparison of the tutored and comparison groups.
type Equivalence struct {
	G        float64 // Hedges' g of the baseline scores, treated minus comparison
	Reading  string  // Satisfied, NeedsAdjustment or NotEquivalent
	Sentence string  // the same in plain words for a principal
}

// BaselineEquivalence computes Hedges' g of the baseline scores and the WWC
// reading of it (see ReadEquivalence).
func BaselineEquivalence(treated, comparison []float64) (Equivalence, error) {
	est, err := HedgesG(treated, comparison)
	if err != nil {
		return Equivalence{}, err
	}
	return ReadEquivalence(est.B), nil
}

// ReadEquivalence gives the WWC reading of a standardized baseline difference
// g: |g| <= 0.05 satisfied; 0.05 < |g| <= 0.25 satisfied only with statistical
// adjustment (the adjusted model controls for the baseline); > 0.25 not
// equivalent, and then the report must say so next to the estimate.
func ReadEquivalence(g float64) Equivalence {
	a := math.Abs(g)
	dir := "higher"
	if g < 0 {
		dir = "lower"
	}
	gap := fmt.Sprintf("Before tutoring, tutored students scored %.2f standard deviations %s than the comparison students.", a, dir)
	switch {
	case a <= 0.05:
		return Equivalence{G: g, Reading: Satisfied, Sentence: fmt.Sprintf(
			"Before tutoring, tutored and comparison students scored about the same (a difference of %.2f standard deviations), so the two groups started on an equal footing.", a)}
	case a <= 0.25:
		return Equivalence{G: g, Reading: NeedsAdjustment, Sentence: gap +
			" That gap is small enough to compare the groups, but only because the adjusted estimate takes each student's starting score into account; the unadjusted difference should not be read on its own."}
	default:
		return Equivalence{G: g, Reading: NotEquivalent, Sentence: gap +
			" The groups were too different at the start for a fair comparison, so neither estimate should be read as the effect of tutoring."}
	}
}

// Standardize returns z = (x - mean)/sd, sd with n-1 in the denominator. It is
// a *NotEstimable when there are fewer than 2 values or they are all equal.
func Standardize(x []float64) ([]float64, error) {
	if len(x) < 2 {
		return nil, notEstimable("standardizing needs at least 2 scores; there are %d", len(x))
	}
	if !finite(x...) {
		return nil, fmt.Errorf("impact: Standardize given a NaN or infinite score")
	}
	m, v := meanVar(x)
	if v == 0 {
		return nil, notEstimable("every score is the same, so there is no spread to standardize by")
	}
	sd := math.Sqrt(v)
	z := make([]float64, len(x))
	for i, xi := range x {
		z[i] = (xi - m) / sd
	}
	return z, nil
}

// meanVar returns the mean and the n-1 variance, with a two-pass sum so
// scale scores around 200 with small spread lose no precision.
// Equal values give exactly 0, not rounding dust.
func meanVar(x []float64) (mean, variance float64) {
	if c, constant := constantValue(x); constant {
		return c, 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x)-1)
}

// WeightedHedgesG is HedgesG with weights (from a matching): the means are
// weighted, each group's variance is Σw(x-m)²/Σw × n/(n-1) with n its
// number of students, and n1, n2 in the pooled SD and J count students,
// not weights. With every weight 1 it is HedgesG. Units of weight 0 are
// left out. tw and cw may be nil (all 1).
func WeightedHedgesG(treated, tw, comparison, cw []float64) (Estimate, error) {
	t, tw := positive(treated, tw)
	c, cw := positive(comparison, cw)
	n1, n2 := len(t), len(c)
	if n1 < 2 || n2 < 2 {
		return Estimate{}, notEstimable("a standardized difference needs at least 2 students in each group; the treated group has %d and the comparison group %d", n1, n2)
	}
	if !finite(t...) || !finite(c...) {
		return Estimate{}, fmt.Errorf("impact: HedgesG given a NaN or infinite score")
	}
	m1, v1 := weightedMeanVar(t, tw)
	m2, v2 := weightedMeanVar(c, cw)
	pooled := math.Sqrt((float64(n1-1)*v1 + float64(n2-1)*v2) / float64(n1+n2-2))
	if pooled == 0 {
		return Estimate{}, notEstimable("the scores do not vary within either group, so there is no spread to standardize the difference by")
	}
	N := float64(n1 + n2)
	J := 1 - 3/(4*N-9)
	g := J * (m1 - m2) / pooled
	se := J * math.Sqrt(N/float64(n1*n2)+g*g/(2*N))
	est := normalEstimate(g, se)
	if !finite(est.B, est.SE, est.Lo, est.Hi, est.T, est.P) {
		return Estimate{}, notEstimable("the scores are too extreme to standardize reliably")
	}
	return est, nil
}

// WeightedBaselineEquivalence is BaselineEquivalence with weights.
func WeightedBaselineEquivalence(treated, tw, comparison, cw []float64) (Equivalence, error) {
	est, err := WeightedHedgesG(treated, tw, comparison, cw)
	if err != nil {
		return Equivalence{}, err
	}
	return ReadEquivalence(est.B), nil
}

// positive keeps the values of positive weight (w nil: all of them).
func positive(x, w []float64) ([]float64, []float64) {
	if w == nil {
		return x, nil
	}
	var ox, ow []float64
	for i, v := range x {
		if w[i] > 0 {
			ox, ow = append(ox, v), append(ow, w[i])
		}
	}
	return ox, ow
}

func weightedMeanVar(x, w []float64) (mean, variance float64) {
	if w == nil {
		return meanVar(x)
	}
	if c, constant := constantValue(x); constant {
		return c, 0
	}
	var sw float64
	for i, v := range x {
		sw += w[i]
		mean += w[i] * v
	}
	mean /= sw
	for i, v := range x {
		variance += w[i] * (v - mean) * (v - mean)
	}
	n := float64(len(x))
	return mean, variance / sw * n / (n - 1)
}
