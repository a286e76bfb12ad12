package impact

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// --- OLSAbsorb against OLS with the school indicators ---------------------------

// absorbed is the METRICS.md model with the school indicators taken out of
// the columns, and each student's school for OLSAbsorb.
func absorbed(ss []student) (Design, []string) {
	full := design(ss)
	d := Design{Y: full.Y}
	for _, c := range full.Columns {
		if !strings.HasPrefix(c.Name, "school=") {
			d.Columns = append(d.Columns, c)
		}
	}
	schools := make([]string, len(ss))
	for i, s := range ss {
		schools[i] = s.school
	}
	return d, schools
}

// uneven makes schools of random sizes between minSize and maxSize, with
// school effects in both the baseline and the outcome, a tutoring rate that
// differs by school, grades drawn at random, and noise whose spread depends
// on tutoring and on the baseline.
func uneven(seed uint64, schools, minSize, maxSize int, grades []string) []student {
	rng := rand.New(rand.NewPCG(seed, 11))
	var out []student
	for s := 0; s < schools; s++ {
		name := strconv.Itoa(200 + s)
		size := minSize + rng.IntN(maxSize-minSize+1)
		effect := rng.NormFloat64()
		rate := 0.2 + 0.6*rng.Float64()
		for k := 0; k < size; k++ {
			gi := rng.IntN(len(grades))
			tut := 0.0
			if rng.Float64() < rate {
				tut = 1
			}
			base := 0.5*effect + rng.NormFloat64()
			sd := 0.3 + 0.9*tut + 0.5*math.Abs(base)
			y := effect + 0.25*tut + 0.6*base + 0.1*float64(gi) + sd*rng.NormFloat64()
			out = append(out, student{name, grades[gi], tut, base, y})
		}
	}
	return out
}

// sameFit checks that OLSAbsorb's fit abs equals OLS's fit full of the same
// model with school indicators: every estimated term's B, SE, T and P, and R2,
// to 1e-9 relative; Lo and Hi to 1e-9 of max(|value|, SE), since a CI end can
// sit near zero. Terms OLS has beyond abs's must be the intercept, the school
// indicators, or columns abs dropped as constant within schools.
func sameFit(t *testing.T, label string, abs, full *Fit) {
	t.Helper()
	const tol = 1e-9
	if abs.N != full.N || abs.DF != full.DF || abs.P+abs.Absorbed != full.P {
		t.Errorf("%s: N=%d DF=%d P=%d+%d groups, OLS N=%d DF=%d P=%d", label, abs.N, abs.DF, abs.P, abs.Absorbed, full.N, full.DF, full.P)
	}
	worst := math.Abs(abs.R2-full.R2) / full.R2
	if !closeRel(abs.R2, full.R2, tol) {
		t.Errorf("%s: R2 = %.15g, OLS %.15g", label, abs.R2, full.R2)
	}
	if _, ok := abs.Coef[Intercept]; ok {
		t.Errorf("%s: absorbed fit has an intercept", label)
	}
	for _, term := range abs.Terms {
		got, want := abs.Coef[term], full.Coef[term]
		if _, ok := full.Coef[term]; !ok {
			t.Errorf("%s: %s not in OLS's terms %v", label, term, full.Terms)
			continue
		}
		for _, c := range []struct {
			what      string
			got, want float64
			scale     float64
		}{
			{"B", got.B, want.B, math.Abs(want.B)},
			{"SE", got.SE, want.SE, want.SE},
			{"T", got.T, want.T, math.Abs(want.T)},
			{"P", got.P, want.P, want.P},
			{"Lo", got.Lo, want.Lo, math.Max(math.Abs(want.Lo), want.SE)},
			{"Hi", got.Hi, want.Hi, math.Max(math.Abs(want.Hi), want.SE)},
		} {
			diff := math.Abs(c.got-c.want) / math.Max(c.scale, 1e-300)
			worst = math.Max(worst, diff)
			if diff > tol {
				t.Errorf("%s %s: %s = %.15g, OLS %.15g", label, term, c.what, c.got, c.want)
			}
		}
	}
	t.Logf("%s: largest relative difference from OLS %.1e", label, worst)
	dropped := map[string]bool{}
	for _, name := range abs.Dropped {
		dropped[name] = true
	}
	for _, term := range full.Terms {
		if _, ok := abs.Coef[term]; !ok && term != Intercept && !strings.HasPrefix(term, "school=") && !dropped[term] {
			t.Errorf("%s: OLS term %s is missing from the absorbed fit %v", label, term, abs.Terms)
		}
	}
	assertFinite(t, abs)
}

func TestOLSAbsorbEqualsIndicatorOLS(t *testing.T) {
	// One grade per school: A and B grade 3, C and D grade 4, E grade 5.
	var oneGrade []student
	for i, s := range []string{"A", "B", "C", "D", "E"} {
		oneGrade = append(oneGrade, district(uint64(30+i), []string{s}, []string{[]string{"3", "3", "4", "4", "5"}[i]}, 14)...)
	}
	noGrades := func(ss []student) []student {
		out := append([]student(nil), ss...)
		for i := range out {
			out[i].grade = "all"
		}
		return out
	}
	cases := []struct {
		name    string
		ss      []student
		terms   []string // of the absorbed fit
		dropped []string
	}{
		{"balanced, grades", district(11, []string{"101", "102", "103", "104", "105", "106"}, []string{"3", "4", "5"}, 12),
			[]string{"tutored", "z_baseline", "grade=4", "grade=5"}, nil},
		{"balanced, no grades", noGrades(district(12, []string{"101", "102", "103", "104"}, []string{"3"}, 25)),
			[]string{"tutored", "z_baseline"}, nil},
		{"uneven sizes, heteroskedastic", uneven(13, 25, 2, 60, []string{"3", "4", "5", "6"}),
			[]string{"tutored", "z_baseline", "grade=4", "grade=5", "grade=6"}, nil},
		{"uneven sizes, no grades", noGrades(uneven(14, 40, 2, 30, []string{"3"})),
			[]string{"tutored", "z_baseline"}, nil},
		{"larger: 60 schools", uneven(15, 60, 5, 120, []string{"K", "1", "2", "3", "4", "5"}),
			[]string{"tutored", "z_baseline", "grade=2", "grade=3", "grade=4", "grade=5", "grade=K"}, nil},
		{"a single school: plain OLS", district(16, []string{"101"}, []string{"3", "4"}, 30),
			[]string{"tutored", "z_baseline", "grade=4"}, nil},
		{"one grade per school", oneGrade,
			[]string{"tutored", "z_baseline"}, []string{"grade=4", "grade=5"}},
	}
	for _, tc := range cases {
		full, err := OLS(design(tc.ss), "tutored")
		if err != nil {
			t.Fatalf("%s: OLS: %v", tc.name, err)
		}
		d, schools := absorbed(tc.ss)
		abs, err := OLSAbsorb(d, schools, "tutored")
		if err != nil {
			t.Fatalf("%s: OLSAbsorb: %v", tc.name, err)
		}
		if !reflect.DeepEqual(abs.Terms, tc.terms) || !reflect.DeepEqual(abs.Dropped, tc.dropped) {
			t.Errorf("%s: terms %v dropped %v, want %v %v", tc.name, abs.Terms, abs.Dropped, tc.terms, tc.dropped)
		}
		if len(abs.Notes) != len(tc.dropped) {
			t.Errorf("%s: notes %q", tc.name, abs.Notes)
		}
		for i, name := range tc.dropped {
			if want := name + " was left out: it does not vary within any school"; !strings.HasPrefix(abs.Notes[i], want) {
				t.Errorf("%s: note %q, want it to start %q", tc.name, abs.Notes[i], want)
			}
		}
		sameFit(t, tc.name, abs, full)
	}
}

// The colleague's exact mtcars reference, with cyl absorbed instead of given
// as indicators: am, wt and hp must come out as in the indicator model.
func TestOLSAbsorbMatchesExactReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	want := ref.Models["main"]
	cars := loadMtcars(t)
	d := Design{Y: floats(t, cars["mpg"]), Columns: []Column{
		{"am", floats(t, cars["am"])}, {"wt", floats(t, cars["wt"])}, {"hp", floats(t, cars["hp"])}}}
	fit, err := OLSAbsorb(d, cars["cyl"], "am")
	if err != nil {
		t.Fatal(err)
	}
	if fit.N != 32 || fit.P != 3 || fit.Absorbed != 3 || fit.DF != 26 || !reflect.DeepEqual(fit.Terms, []string{"am", "wt", "hp"}) {
		t.Fatalf("N=%d P=%d absorbed %d DF=%d terms %v", fit.N, fit.P, fit.Absorbed, fit.DF, fit.Terms)
	}
	for _, term := range fit.Terms {
		got := fit.Coef[term]
		if !closeRel(got.B, want.Coef[term], 1e-9) {
			t.Errorf("%s: B = %.15g, want %.15g", term, got.B, want.Coef[term])
		}
		if !closeRel(got.SE, want.SEHC2[term], 1e-9) {
			t.Errorf("%s: HC2 SE = %.15g, want %.15g", term, got.SE, want.SEHC2[term])
		}
	}
	if !closeRel(fit.R2, want.R2, 1e-9) {
		t.Errorf("R2 = %.15g, want %.15g", fit.R2, want.R2)
	}
	am := fit.Coef["am"]
	if crit := (am.Hi - am.B) / am.SE; math.Abs(crit-2.0555294386) > 1e-6 {
		t.Errorf("CI half-width / SE = %.10f, want t(0.975, 26) = 2.0555294386", crit)
	}
	if len(fit.Dropped) != 0 || len(fit.Notes) != 0 {
		t.Errorf("dropped %v notes %q", fit.Dropped, fit.Notes)
	}
}

func TestOLSAbsorbLeavesOutLoneStudents(t *testing.T) {
	ss := district(3, []string{"101", "102", "103"}, []string{"3", "4"}, 10)
	with := append(append([]student(nil), ss...), student{"104", "3", 1, 0.3, 0.9})
	// 100 sorts first: OLS's reference school, which has no column of its own.
	with = append(with[:7], append([]student{{"100", "4", 0, -0.8, -1.1}}, with[7:]...)...)
	d, schools := absorbed(with)
	fit, err := OLSAbsorb(d, schools, "tutored")
	if err != nil {
		t.Fatal(err)
	}
	if fit.N != len(ss) || fit.Absorbed != 3 {
		t.Errorf("N=%d absorbed %d, want %d and 3", fit.N, fit.Absorbed, len(ss))
	}
	if want := []string{"2 students were alone in their school and were left out: they say nothing about the comparison within schools"}; !reflect.DeepEqual(fit.Notes, want) {
		t.Errorf("notes %q, want %q", fit.Notes, want)
	}
	full, err := OLS(design(ss), "tutored")
	if err != nil {
		t.Fatal(err)
	}
	sameFit(t, "without the lone students", fit, full)

	// OLS itself refuses the model with them.
	if _, err := OLS(design(with), "tutored"); err == nil {
		t.Error("OLS accepted a school with a single student")
	}

	// One lone student, after a dropped column: the note comes last.
	with = append(append([]student(nil), ss...), student{"104", "3", 1, 0.3, 0.9})
	d, schools = absorbed(with)
	d.Columns = append(d.Columns, Column{"district", make([]float64, len(d.Y))})
	for i := range d.Y {
		d.Columns[len(d.Columns)-1].X[i] = 7
	}
	fit, err = OLSAbsorb(d, schools, "tutored")
	if err != nil {
		t.Fatal(err)
	}
	if fit.N != len(ss) || !reflect.DeepEqual(fit.Dropped, []string{"district"}) || len(fit.Notes) != 2 ||
		fit.Notes[1] != "1 student was alone in their school and was left out: a student alone in a school says nothing about the comparison within schools" {
		t.Errorf("N=%d dropped %v notes %q", fit.N, fit.Dropped, fit.Notes)
	}
	sameFit(t, "one lone student", fit, full)

	// Everyone alone.
	_, err = OLSAbsorb(Design{Y: []float64{1, 2, 3}, Columns: []Column{{"tutored", []float64{0, 1, 1}}}}, []string{"a", "b", "c"}, "tutored")
	wantNotEstimable(t, err, "every student is alone in their school")
}

func TestOLSAbsorbNoVariationWithinSchools(t *testing.T) {
	ss := district(6, []string{"A", "B", "C"}, []string{"3", "4"}, 10)
	for i := range ss {
		ss[i].tutored = map[string]float64{"A": 0, "B": 1, "C": 1}[ss[i].school]
	}
	d, schools := absorbed(ss)
	_, err := OLSAbsorb(d, schools, "tutored")
	wantNotEstimable(t, err, "tutored does not vary within any school: in every school either all or none of the sample were tutored")

	// A lone student is no variation within a school: D's only student is
	// left out, and A, B and C still do not vary.
	ss = append(ss, student{"D", "3", 0, 0.1, 0.2})
	d, schools = absorbed(ss)
	_, err = OLSAbsorb(d, schools, "tutored")
	wantNotEstimable(t, err, "tutored does not vary within any school")

	// A continuous term of interest, and one constant everywhere (OLS's reason).
	d, schools = absorbed(ss)
	size := make([]float64, len(d.Y))
	for i := range size {
		size[i] = float64(schools[i][0]-'A'+1) * 3.7
	}
	d.Columns = append(d.Columns, Column{"school_size", size})
	_, err = OLSAbsorb(d, schools, "school_size")
	wantNotEstimable(t, err, "school_size does not vary within any school: within each school every student in the sample has the same school_size")
	for i := range ss {
		ss[i].tutored = 1
	}
	d, schools = absorbed(ss)
	_, err = OLSAbsorb(d, schools, "tutored")
	wantNotEstimable(t, err, "every student in the sample was tutored")
}

func TestOLSAbsorbCollinearWithinSchools(t *testing.T) {
	ss := district(21, []string{"A", "B", "C"}, []string{"3", "4"}, 10)
	d, schools := absorbed(ss)
	// Equal to 2*z_baseline plus a school-level shift: nothing new within schools.
	shifted := make([]float64, len(d.Y))
	base := d.Columns[1].X
	for i := range shifted {
		shifted[i] = 2*base[i] + map[string]float64{"A": 1, "B": -3, "C": 0.5}[schools[i]]
	}
	d.Columns = append(d.Columns, Column{"shifted", shifted})
	fit, err := OLSAbsorb(d, schools, "tutored")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fit.Dropped, []string{"shifted"}) || len(fit.Notes) != 1 ||
		!strings.Contains(fit.Notes[0], "shifted was left out: within schools it is an exact combination of z_baseline") {
		t.Errorf("dropped %v notes %q", fit.Dropped, fit.Notes)
	}
	_, err = OLSAbsorb(d, schools, "shifted")
	wantNotEstimable(t, err, "shifted cannot be separated from z_baseline: in this sample within every school one is determined by the other")
}

func TestOLSAbsorbExactFitAndEdges(t *testing.T) {
	// Tutoring varies only in school Z, which has two students: with Z's
	// effect, the model fits both exactly (leverage 1).
	ss := district(22, []string{"A", "B"}, []string{"3"}, 10)
	for i := range ss {
		ss[i].tutored = map[string]float64{"A": 0, "B": 1}[ss[i].school]
	}
	ss = append(ss, student{"Z", "3", 1, 0.4, 1.0}, student{"Z", "3", 0, -0.2, 0.1})
	d, schools := absorbed(ss)
	_, err := OLSAbsorb(d, schools, "tutored")
	wantNotEstimable(t, err, "tutored varies within only one school (Z), where it singles out one student")

	// Too few students for the terms and schools.
	d = Design{Y: []float64{1, 2, 4, 3}, Columns: []Column{{"tutored", []float64{0, 1, 1, 0}}, {"z_baseline", []float64{0.5, -1, 2, 1}}}}
	_, err = OLSAbsorb(d, []string{"a", "a", "b", "b"}, "tutored")
	wantNotEstimable(t, err, "the sample has 4 students but the model has 4 terms, counting one for each of its 2 schools")

	// Outcome constant, and fitted exactly by the school effects.
	d = Design{Y: []float64{1, 1, 1, 1, 1, 1}, Columns: []Column{{"tutored", []float64{0, 1, 0, 1, 0, 1}}}}
	lv := []string{"a", "a", "a", "b", "b", "b"}
	_, err = OLSAbsorb(d, lv, "tutored")
	wantNotEstimable(t, err, "same outcome")
	d.Y = []float64{1, 1, 1, 2, 2, 2}
	_, err = OLSAbsorb(d, lv, "tutored")
	wantNotEstimable(t, err, "reproduces every student's outcome exactly")

	// Caller mistakes.
	d.Y = []float64{1, 1, 2, 2, 2, 3}
	if _, err := OLSAbsorb(d, lv[:5], "tutored"); err == nil {
		t.Error("absorb of the wrong length accepted")
	} else if _, ok := IsNotEstimable(err); ok {
		t.Errorf("caller mistake reported as not estimable: %v", err)
	}
	if _, err := OLSAbsorb(d, lv, "nope"); err == nil {
		t.Error("unknown term of interest accepted")
	}
	_, err = OLSAbsorb(Design{}, nil, "tutored")
	wantNotEstimable(t, err, "there are no students")

	// Only the school effects: no terms, R2 of the school means.
	fit, err := OLSAbsorb(Design{Y: d.Y}, lv)
	if err != nil {
		t.Fatal(err)
	}
	full, err := OLS(Design{Y: d.Y, Columns: Indicators("school", lv)})
	if err != nil {
		t.Fatal(err)
	}
	if fit.P != 0 || len(fit.Terms) != 0 || fit.DF != 4 || !closeRel(fit.R2, full.R2, 1e-12) {
		t.Errorf("P=%d terms %v DF=%d R2=%v (OLS %v)", fit.P, fit.Terms, fit.DF, fit.R2, full.R2)
	}
}

// --- speed ------------------------------------------------------------------------

// A large district: 300,000 students in 600 schools of unequal size, each
// with all six grades; tutored, z_baseline and 5 grade indicators.
func bigDistrict() (Design, []string) {
	const n, schools = 300_000, 600
	rng := rand.New(rand.NewPCG(2024, 1))
	effect := make([]float64, schools)
	for s := range effect {
		effect[s] = rng.NormFloat64()
	}
	y, tut, base := make([]float64, n), make([]float64, n), make([]float64, n)
	grades := make([]string, n)
	school := make([]string, n)
	for i := 0; i < n; i++ {
		s := int(float64(schools) * math.Pow(rng.Float64(), 1.5)) // small schools are commoner
		g := rng.IntN(6)
		school[i], grades[i] = "S"+strconv.Itoa(s), strconv.Itoa(g)
		if rng.Float64() < 0.3 {
			tut[i] = 1
		}
		base[i] = 0.4*effect[s] + rng.NormFloat64()
		y[i] = effect[s] + 0.2*tut[i] + 0.7*base[i] + 0.05*float64(g) + (0.5+0.5*tut[i])*rng.NormFloat64()
	}
	d := Design{Y: y, Columns: append([]Column{{"tutored", tut}, {"z_baseline", base}}, Indicators("grade", grades)...)}
	return d, school
}

func BenchmarkOLSAbsorb(b *testing.B) {
	d, school := bigDistrict()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fit, err := OLSAbsorb(d, school, "tutored")
		if err != nil {
			b.Fatal(err)
		}
		if fit.Absorbed < 500 || fit.P != 7 {
			b.Fatalf("absorbed %d P %d", fit.Absorbed, fit.P)
		}
	}
}
