package impact

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// --- OLS / HC2 against an independent exact computation --------------------

// reference is testdata/reference.json. Its numbers do not come from this
// package: testdata/reference.py (Python standard library only) computes them
// from testdata/mtcars.csv in exact rational arithmetic (fractions.Fraction):
// Gauss-Jordan inverse of X'X, coefficients, residuals, leverages and the HC2
// sandwich are all exact; only the final square roots are taken, in 50-digit
// decimal. Regenerate with
//
//	cd pipeline/impact && python3 testdata/reference.py > testdata/reference.json
//
// The data are R's datasets::mtcars (32 cars, Motor Trend 1974). The
// reference's wt_hp model also reproduces R's widely printed
// summary(lm(mpg ~ wt + hp, mtcars)), which checks the CSV was typed right.
type reference struct {
	Models map[string]struct {
		N, P        int
		Terms       []string
		Coef        map[string]float64
		SEHC2       map[string]float64 `json:"se_hc2"`
		SEClassical map[string]float64 `json:"se_classical"`
		R2          float64
	}
}

func loadMtcars(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("testdata/mtcars.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string][]string{}
	for _, rec := range recs[1:] {
		for j, name := range recs[0] {
			cols[name] = append(cols[name], rec[j])
		}
	}
	if len(cols["mpg"]) != 32 {
		t.Fatalf("mtcars has %d rows, want 32", len(cols["mpg"]))
	}
	return cols
}

func floats(t *testing.T, s []string) []float64 {
	t.Helper()
	out := make([]float64, len(s))
	for i, v := range s {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = f
	}
	return out
}

func closeRel(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-300)
}

func TestOLSMatchesExactReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	cars := loadMtcars(t)
	mpg := floats(t, cars["mpg"])
	am, wt, hp := floats(t, cars["am"]), floats(t, cars["wt"]), floats(t, cars["hp"])

	designs := map[string]struct {
		d        Design
		interest []string
	}{
		"main": {Design{Y: mpg, Columns: append([]Column{{"am", am}, {"wt", wt}, {"hp", hp}},
			Indicators("cyl", cars["cyl"])...)}, []string{"am"}},
		"wt_hp": {Design{Y: mpg, Columns: []Column{{"wt", wt}, {"hp", hp}}}, nil},
	}
	for name, tc := range designs {
		want, ok := ref.Models[name]
		if !ok {
			t.Fatalf("reference.json has no model %q", name)
		}
		fit, err := OLS(tc.d, tc.interest...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fit.N != want.N || fit.P != want.P || !reflect.DeepEqual(fit.Terms, want.Terms) {
			t.Fatalf("%s: N=%d P=%d terms %v, want %d %d %v", name, fit.N, fit.P, fit.Terms, want.N, want.P, want.Terms)
		}
		for _, term := range want.Terms {
			got := fit.Coef[term]
			if !closeRel(got.B, want.Coef[term], 1e-9) {
				t.Errorf("%s %s: B = %.12g, want %.12g", name, term, got.B, want.Coef[term])
			}
			if !closeRel(got.SE, want.SEHC2[term], 1e-9) {
				t.Errorf("%s %s: HC2 SE = %.12g, want %.12g", name, term, got.SE, want.SEHC2[term])
			}
		}
		if !closeRel(fit.R2, want.R2, 1e-9) {
			t.Errorf("%s: R2 = %.12g, want %.12g", name, fit.R2, want.R2)
		}
		assertFinite(t, fit)
	}

	// R: summary(lm(mpg ~ wt + hp, mtcars)) prints 37.22727 (1.59879),
	// -3.87783 (0.63273), -0.03177 (0.00903), Multiple R-squared 0.8268.
	r := ref.Models["wt_hp"]
	for term, want := range map[string][2]float64{
		Intercept: {37.22727, 1.59879}, "wt": {-3.87783, 0.63273}, "hp": {-0.03177, 0.00903},
	} {
		if math.Abs(r.Coef[term]-want[0]) > 5e-6 || math.Abs(r.SEClassical[term]-want[1]) > 5e-6 {
			t.Errorf("reference %s = %g (%g), R prints %g (%g): is mtcars.csv right?", term, r.Coef[term], r.SEClassical[term], want[0], want[1])
		}
	}
	if math.Abs(r.R2-0.8268) > 5e-5 {
		t.Errorf("reference R2 = %g, R prints 0.8268", r.R2)
	}

	// The CI uses t with N-P = 26 df (t.975 = 2.055529), and Rows keeps model order.
	fit, _ := OLS(designs["main"].d, "am")
	am1 := fit.Coef["am"]
	if crit := (am1.Hi - am1.B) / am1.SE; math.Abs(crit-2.0555294386) > 1e-6 {
		t.Errorf("CI half-width / SE = %.10f, want t(0.975, 26) = 2.0555294386", crit)
	}
	if rows := fit.Rows(); len(rows) != 6 || rows[0].Term != Intercept || rows[1].Term != "am" || rows[1].Estimate != am1 {
		t.Errorf("Rows = %+v", rows)
	}
}

// --- Hedges' g by hand --------------------------------------------------------

// treated {4, 6, 8}: mean 6, variance (4+0+4)/2 = 4
// comparison {1, 3, 5, 7}: mean 4, variance (9+1+1+9)/3 = 20/3
// pooled variance (2*4 + 3*20/3)/(3+4-2) = 28/5, pooled SD sqrt(5.6) = 2.3664319...
// d = (6-4)/sqrt(5.6) = 0.8451542547
// J = 1 - 3/(4*7 - 9) = 1 - 3/19 = 16/19 = 0.8421052632
// g = J*d = 0.7117088461;  g² = (256/361)*(4/5.6) = 1280/2527 = 0.5065294816
// SE = J*sqrt(7/12 + g²/14) = (16/19)*sqrt(0.6195140106) = 0.6628144196
// CI = g ± 1.959963985*SE = [-0.5873835448, 2.0108012370]
func TestHedgesGByHand(t *testing.T) {
	g, err := HedgesG([]float64{4, 6, 8}, []float64{1, 3, 5, 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"g", g.B, 0.7117088461},
		{"SE", g.SE, 0.6628144196},
		{"Lo", g.Lo, -0.5873835448},
		{"Hi", g.Hi, 2.0108012370},
		{"T", g.T, 0.7117088461 / 0.6628144196},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %.10f, want %.10f", c.name, c.got, c.want)
		}
	}
	// Swapping the groups flips the sign only.
	h, _ := HedgesG([]float64{1, 3, 5, 7}, []float64{4, 6, 8})
	if math.Abs(h.B+g.B) > 1e-15 || math.Abs(h.SE-g.SE) > 1e-15 {
		t.Errorf("swapped: %+v vs %+v", h, g)
	}
}

// --- edge cases ------------------------------------------------------------------

type student struct {
	school, grade string
	tutored       float64
	base, y       float64
}

// district makes a deterministic sample: schools x grades, about 40% tutored.
func district(seed uint64, schools, grades []string, perCell int) []student {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []student
	for _, s := range schools {
		for _, g := range grades {
			for k := 0; k < perCell; k++ {
				tut := 0.0
				if k%5 < 2 {
					tut = 1
				}
				base := rng.NormFloat64()
				out = append(out, student{s, g, tut, base, 0.2*tut + 0.7*base + rng.NormFloat64()})
			}
		}
	}
	return out
}

// design is the METRICS.md model: z_outcome on tutored, z_baseline, grade and
// school indicators.
func design(ss []student) Design {
	var d Design
	tut, base := make([]float64, len(ss)), make([]float64, len(ss))
	var grades, schools []string
	for i, s := range ss {
		d.Y = append(d.Y, s.y)
		tut[i], base[i] = s.tutored, s.base
		grades = append(grades, s.grade)
		schools = append(schools, s.school)
	}
	d.Columns = append([]Column{{"tutored", tut}, {"z_baseline", base}}, Indicators("grade", grades)...)
	d.Columns = append(d.Columns, Indicators("school", schools)...)
	return d
}

func wantNotEstimable(t *testing.T, err error, phrase string) {
	t.Helper()
	ne, ok := IsNotEstimable(err)
	if !ok {
		t.Fatalf("got error %v, want *NotEstimable containing %q", err, phrase)
	}
	if !strings.Contains(ne.Reason, phrase) {
		t.Fatalf("reason %q does not contain %q", ne.Reason, phrase)
	}
}

func assertFinite(t *testing.T, f *Fit) {
	t.Helper()
	if !finite(f.R2) {
		t.Errorf("R2 = %v", f.R2)
	}
	for name, e := range f.Coef {
		if !finite(e.B, e.SE, e.Lo, e.Hi, e.T, e.P) {
			t.Errorf("%s: non-finite estimate %+v", name, e)
		}
	}
}

func TestOLSWellBehavedDistrict(t *testing.T) {
	d := design(district(1, []string{"101", "102", "103"}, []string{"3", "4", "5"}, 20))
	fit, err := OLS(d, "tutored")
	if err != nil {
		t.Fatal(err)
	}
	assertFinite(t, fit)
	if fit.N != 180 || fit.P != 1+2+2+2 || fit.DF != 173 || len(fit.Dropped) != 0 {
		t.Errorf("N=%d P=%d DF=%d dropped %v", fit.N, fit.P, fit.DF, fit.Dropped)
	}
	if e := fit.Coef["tutored"]; !(e.Lo < e.B && e.B < e.Hi && e.SE > 0 && e.P > 0 && e.P <= 1) {
		t.Errorf("tutored = %+v", e)
	}
}

func TestOLSTreatmentDoesNotVary(t *testing.T) {
	ss := district(2, []string{"101", "102"}, []string{"3", "4"}, 10)
	for i := range ss {
		ss[i].tutored = 1
	}
	_, err := OLS(design(ss), "tutored")
	wantNotEstimable(t, err, "the tutored indicator does not vary: every student in the sample was tutored")

	// All in the comparison group.
	for i := range ss {
		ss[i].tutored = 0
	}
	_, err = OLS(design(ss), "tutored")
	wantNotEstimable(t, err, "no student in the sample was tutored")

	// All in one group, seen by Hedges' g and the baseline check.
	_, err = HedgesG([]float64{1, 2, 3}, nil)
	wantNotEstimable(t, err, "at least 2 students in each group")
	_, err = BaselineEquivalence(nil, []float64{1, 2, 3})
	wantNotEstimable(t, err, "the treated group has 0")
}

func TestOLSSingleStudentSchool(t *testing.T) {
	ss := district(3, []string{"101", "102", "103"}, []string{"3", "4"}, 10)
	ss = append(ss, student{"104", "3", 1, 0.3, 0.9})
	_, err := OLS(design(ss), "tutored")
	wantNotEstimable(t, err, "school=104 has a single student, whose outcome the model fits exactly")

	// The same at the reference level, which has no column of its own.
	ss = district(3, []string{"101", "102", "103"}, []string{"3", "4"}, 10)
	ss = append(ss, student{"100", "3", 1, 0.3, 0.9})
	_, err = OLS(design(ss), "tutored")
	wantNotEstimable(t, err, "the reference school (the one with no school= column) has a single student")

	// A single tutored student is singled out the same way.
	ss = district(3, []string{"101", "102"}, []string{"3"}, 10)
	for i := range ss {
		ss[i].tutored = 0
	}
	ss[4].tutored = 1
	_, err = OLS(design(ss), "tutored")
	wantNotEstimable(t, err, "only one student was tutored")
}

func TestOLSCollinearIndicatorsDropped(t *testing.T) {
	// School C has only grade 8 and grade 8 is only in school C, so with
	// grade and school indicators both in, school=C equals grade=8.
	ss := district(4, []string{"A", "B"}, []string{"3", "4", "5"}, 12)
	ss = append(ss, district(5, []string{"C"}, []string{"8"}, 15)...)
	fit, err := OLS(design(ss), "tutored")
	if err != nil {
		t.Fatal(err)
	}
	assertFinite(t, fit)
	if !reflect.DeepEqual(fit.Dropped, []string{"school=C"}) {
		t.Fatalf("dropped %v, want [school=C]", fit.Dropped)
	}
	if len(fit.Notes) != 1 || !strings.Contains(fit.Notes[0], "school=C was left out: it is an exact combination of grade=8") {
		t.Errorf("notes %q", fit.Notes)
	}
	if _, ok := fit.Coef["school=C"]; ok {
		t.Error("dropped column still has a coefficient")
	}
	if _, ok := fit.Coef["tutored"]; !ok || fit.P != 1+2+3+1 {
		t.Errorf("P = %d, coef %v", fit.P, fit.Terms)
	}

	// But a term of interest that cannot be separated from a school fails.
	ss = district(6, []string{"A", "B"}, []string{"3", "4"}, 10)
	for i := range ss {
		ss[i].tutored = map[string]float64{"A": 0, "B": 1}[ss[i].school]
	}
	_, err = OLS(design(ss), "tutored")
	wantNotEstimable(t, err, "tutored cannot be separated from school=B")
}

func TestOLSTooFewStudents(t *testing.T) {
	d := Design{Y: []float64{1, 2, 4}, Columns: []Column{{"tutored", []float64{0, 1, 1}}, {"z_baseline", []float64{0.5, -1, 2}}}}
	_, err := OLS(d, "tutored")
	wantNotEstimable(t, err, "the sample has 3 students but the model has 3 terms")

	// More columns than students: the extra ones cannot all be kept, and the
	// reason is the sample size, not collinearity.
	d.Columns = append([]Column{{"x2", []float64{1, 0, 0}}, {"x3", []float64{3, 1, 0}}}, d.Columns...)
	_, err = OLS(d, "tutored")
	wantNotEstimable(t, err, "the sample has 3 students but the model has 5 terms")
}

func TestOLSEmptyAndDegenerate(t *testing.T) {
	_, err := OLS(Design{}, "tutored")
	wantNotEstimable(t, err, "there are no students in the sample")
	_, err = OLS(Design{Y: []float64{}, Columns: []Column{{"tutored", []float64{}}}}, "tutored")
	wantNotEstimable(t, err, "there are no students in the sample")

	// The outcome does not vary.
	d := design(district(7, []string{"A", "B"}, []string{"3"}, 10))
	for i := range d.Y {
		d.Y[i] = 2
	}
	_, err = OLS(d, "tutored")
	wantNotEstimable(t, err, "same outcome")

	// An exact fit leaves no residual to measure uncertainty from.
	d = design(district(8, []string{"A", "B"}, []string{"3"}, 10))
	for i := range d.Y {
		d.Y[i] = 1 + 0.5*d.Columns[0].X[i] - d.Columns[1].X[i]
	}
	_, err = OLS(d, "tutored")
	wantNotEstimable(t, err, "reproduces every student's outcome exactly")

	// Caller mistakes are ordinary errors, not findings about the data.
	for _, bad := range []Design{
		{Y: []float64{1, 2}, Columns: []Column{{"tutored", []float64{1}}}},
		{Y: []float64{1, math.NaN()}, Columns: []Column{{"tutored", []float64{0, 1}}}},
		{Y: []float64{1, 2}, Columns: []Column{{"tutored", []float64{0, 1}}, {"tutored", []float64{0, 1}}}},
	} {
		if _, err := OLS(bad, "tutored"); err == nil {
			t.Errorf("no error for %+v", bad)
		} else if _, ok := IsNotEstimable(err); ok {
			t.Errorf("caller mistake reported as not estimable: %v", err)
		}
	}
	if _, err := OLS(Design{Y: []float64{1, 2}}, "tutored"); err == nil {
		t.Error("unknown term of interest accepted")
	}
}

func TestHedgesGAndStandardizeEdges(t *testing.T) {
	_, err := HedgesG([]float64{5, 5, 5}, []float64{5, 5})
	wantNotEstimable(t, err, "do not vary within either group")
	_, err = HedgesG([]float64{1}, []float64{1, 2, 3})
	wantNotEstimable(t, err, "the treated group has 1")

	z, err := Standardize([]float64{2, 4, 6})
	if err != nil || !reflect.DeepEqual(z, []float64{-1, 0, 1}) {
		t.Errorf("Standardize = %v, %v; want [-1 0 1]", z, err)
	}
	_, err = Standardize([]float64{0.1, 0.1, 0.1})
	wantNotEstimable(t, err, "every score is the same")
	_, err = Standardize([]float64{3})
	wantNotEstimable(t, err, "at least 2 scores")
}

func TestIndicators(t *testing.T) {
	cols := Indicators("grade", []string{"10", "3", "K", "3", "10"})
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	// Reference level is grade 3: numbers sort as numbers, before words.
	if !reflect.DeepEqual(names, []string{"grade=10", "grade=K"}) {
		t.Fatalf("names %v", names)
	}
	if !reflect.DeepEqual(cols[0].X, []float64{1, 0, 0, 0, 1}) || !reflect.DeepEqual(cols[1].X, []float64{0, 0, 1, 0, 0}) {
		t.Errorf("columns %+v", cols)
	}
	if got := Indicators("school", []string{"101", "101"}); got != nil {
		t.Errorf("single level gave %+v", got)
	}
}

// --- baseline equivalence -----------------------------------------------------

func TestBaselineEquivalenceReadings(t *testing.T) {
	// Two groups with the same spread whose means differ by delta have
	// g = J*delta/sd, so delta = target*sd/J gives g = target exactly.
	comparison := []float64{-2, -1, 0, 1, 2, -1.5, 0.5, 1.5}
	_, v := meanVar(comparison)
	n := float64(2 * len(comparison))
	J := 1 - 3/(4*n-9)
	for _, c := range []struct {
		g       float64
		reading string
		words   string
	}{
		{0.04, Satisfied, "about the same"},
		{0.10, NeedsAdjustment, "0.10 standard deviations higher"},
		{-0.10, NeedsAdjustment, "0.10 standard deviations lower"},
		{0.30, NotEquivalent, "too different at the start"},
	} {
		delta := c.g * math.Sqrt(v) / J
		treated := make([]float64, len(comparison))
		for i, x := range comparison {
			treated[i] = x + delta
		}
		eq, err := BaselineEquivalence(treated, comparison)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(eq.G-c.g) > 1e-12 || eq.Reading != c.reading || !strings.Contains(eq.Sentence, c.words) {
			t.Errorf("g=%v: got %+v", c.g, eq)
		}
	}
	// The boundaries belong to the more favourable reading.
	if r := ReadEquivalence(0.05).Reading; r != Satisfied {
		t.Errorf("0.05 -> %q", r)
	}
	if r := ReadEquivalence(-0.25).Reading; r != NeedsAdjustment {
		t.Errorf("-0.25 -> %q", r)
	}
}

// --- coverage property ---------------------------------------------------------

// With y = 2 + 0.5*treat + x + heteroskedastic noise, the HC2 95% CI should
// cover 0.5 in about 95% of 200 fixed-seed samples.
func TestOLSCoverage(t *testing.T) {
	const seeds, n = 200, 120
	covered := 0
	for seed := uint64(0); seed < seeds; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		y, treat, x := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := 0; i < n; i++ {
			x[i] = rng.NormFloat64()
			if rng.Float64() < 0.3+0.2*math.Tanh(x[i]) { // treatment depends on x
				treat[i] = 1
			}
			sd := 0.5 + 0.7*treat[i] + 0.3*math.Abs(x[i]) // noise varies by group and x
			y[i] = 2 + 0.5*treat[i] + x[i] + sd*rng.NormFloat64()
		}
		fit, err := OLS(Design{Y: y, Columns: []Column{{"treat", treat}, {"x", x}}}, "treat")
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if e := fit.Coef["treat"]; e.Lo <= 0.5 && 0.5 <= e.Hi {
			covered++
		}
	}
	if cov := float64(covered) / seeds; cov < 0.90 || cov > 0.99 {
		t.Errorf("coverage %.3f, want between 0.90 and 0.99", cov)
	} else {
		t.Logf("coverage %.3f", cov)
	}
}
