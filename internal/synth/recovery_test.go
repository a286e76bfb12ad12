package synth_test

import (
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
)

// This file reads the generated district back the way the pipeline is meant
// to (profiles' formats and codes, upsert by key in file-name order, the last
// cumulative snapshot, bad rows rejected) and fits METRICS.md's impact models,
// checking that they recover truth.json. It is an independent check that the
// files carry the planted effect, not a loader.

type sess struct {
	student, subject string
	provider         string
	day              time.Time
	minutes          int
	attended         bool
}

type score struct {
	day   time.Time
	score float64
}

type district struct {
	school   map[string]string
	grade    map[string]int
	scores   map[[3]string]score // student, subject, window
	sessions []sess
	rejected map[string]int // file -> rows rejected
}

func readCSV(t *testing.T, path string, comma rune, skipLines int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimPrefix(string(data), "\ufeff")
	for i := 0; i < skipLines; i++ {
		s = s[strings.Index(s, "\n")+1:]
	}
	r := csv.NewReader(strings.NewReader(s))
	r.Comma = comma
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func index(header []string) map[string]int {
	m := map[string]int{}
	for i, h := range header {
		m[h] = i
	}
	return m
}

func readDistrict(t *testing.T, dir string) *district {
	d := &district{school: map[string]string{}, grade: map[string]int{}, scores: map[[3]string]score{}, rejected: map[string]int{}}
	roster := readCSV(t, filepath.Join(dir, "landing/roster/roster_2025-26.csv"), ',', 0)
	for _, r := range roster[1:] {
		d.school[r[0]] = r[1]
		d.grade[r[0]], _ = strconv.Atoi(r[3])
	}
	for _, win := range []string{"fall", "winter", "spring"} {
		recs := readCSV(t, filepath.Join(dir, "landing/nwea/AssessmentResults_"+win+".csv"), ',', 0)
		h := index(recs[0])
		for _, r := range recs[1:] {
			subj := map[string]string{"Math K-12": "math", "Reading": "ela"}[r[h["Course"]]]
			if subj == "" {
				continue
			}
			if w := strings.ToLower(strings.Fields(r[h["TermName"]])[0]); w != win {
				t.Fatalf("TermName %q in the %s file", r[h["TermName"]], win)
			}
			day, err := time.Parse("01/02/2006", r[h["TestStartDate"]])
			if err != nil {
				t.Fatal(err)
			}
			sc, err := strconv.ParseFloat(r[h["TestRITScore"]], 64)
			if err != nil {
				t.Fatal(err)
			}
			d.scores[[3]string{r[h["StudentID"]], subj, win}] = score{day, sc}
		}
	}

	// brightpath: upsert by Session ID in file-name order; the last line is a total.
	final := map[string]sess{}
	files, _ := filepath.Glob(filepath.Join(dir, "landing/brightpath/*.csv"))
	sort.Strings(files)
	status := map[string]bool{"P": true, "A": false, "T": false, "C": false}
	subjects := map[string]string{"Math": "math", "ELA": "ela"}
	for _, f := range files {
		recs := readCSV(t, f, ',', 0)
		h := index(recs[0])
		for _, r := range recs[1 : len(recs)-1] {
			day, err := time.Parse("01/02/2006", r[h["Session Date"]])
			mins, err2 := strconv.Atoi(r[h["Minutes"]])
			att, ok := status[r[h["Attendance"]]]
			if err != nil || err2 != nil || mins <= 0 || !ok || r[h["Student ID"]] == "" {
				d.rejected[filepath.Base(f)]++
				continue
			}
			final[r[h["Session ID"]]] = sess{r[h["Student ID"]], subjects[r[h["Subject"]]], "brightpath", day, mins, att}
		}
	}
	for _, s := range final {
		d.sessions = append(d.sessions, s)
	}

	// learnwell: Windows-1252 TSV, key derived from student, date, start and subject; duration End-Begin.
	final = map[string]sess{}
	files, _ = filepath.Glob(filepath.Join(dir, "landing/learnwell/*.tsv"))
	sort.Strings(files)
	lwStatus := map[string]bool{"Present": true, "Absent": false, "No Show": false, "Tutor Absent": false, "Tutor Cancelled": false}
	for _, f := range files {
		recs := readCSV(t, f, '\t', 0)
		h := index(recs[0])
		for _, r := range recs[1:] {
			day, err := time.Parse("1/2/06", r[h["Date"]])
			begin, err2 := time.Parse("3:04 PM", r[h["Begin"]])
			end, err3 := time.Parse("3:04 PM", r[h["End"]])
			att, ok := lwStatus[r[h["Status"]]]
			if err != nil || err2 != nil || err3 != nil || !ok || r[h["LASID"]] == "" || !end.After(begin) {
				d.rejected[filepath.Base(f)]++
				continue
			}
			key := r[h["LASID"]] + "|" + r[h["Date"]] + "|" + r[h["Begin"]] + "|" + r[h["Subject Area"]]
			subj := map[string]string{"Mathematics": "math", "Reading": "ela"}[r[h["Subject Area"]]]
			final[key] = sess{r[h["LASID"]], subj, "learnwell", day, int(end.Sub(begin).Minutes()), att}
		}
	}
	for _, s := range final {
		d.sessions = append(d.sessions, s)
	}

	// tutorcorps: the last cumulative snapshot is the whole history.
	files, _ = filepath.Glob(filepath.Join(dir, "landing/tutorcorps/*.csv"))
	sort.Strings(files)
	for i, f := range files {
		recs := readCSV(t, f, ',', 2)
		h := index(recs[0])
		for _, r := range recs[1:] {
			day, err := time.Parse("2006-01-02", r[h["date"]])
			mins := -1
			if hh, mm, ok := strings.Cut(r[h["duration"]], ":"); ok {
				a, e1 := strconv.Atoi(hh)
				b, e2 := strconv.Atoi(mm)
				if e1 == nil && e2 == nil && a >= 0 {
					mins = 60*a + b
				}
			}
			att, ok := map[string]bool{"1": true, "0": false, "TA": false, "CX": false}[r[h["attendance_code"]]]
			if err != nil || mins <= 0 || !ok || r[h["student_number"]] == "" {
				d.rejected[filepath.Base(f)]++
				continue
			}
			if i == len(files)-1 {
				subj := map[string]string{"math": "math", "literacy": "ela"}[r[h["subject"]]]
				d.sessions = append(d.sessions, sess{r[h["student_number"]], subj, "tutorcorps", day, mins, att})
			}
		}
	}
	return d
}

// ols fits y on X (columns; the first ones are always kept) by Gram-Schmidt,
// dropping columns that are linear combinations of earlier ones, and returns
// the coefficients and HC2 standard errors of the first nKeep columns.
func ols(cols [][]float64, y []float64, nKeep int) (beta, se []float64) {
	n := len(y)
	var q [][]float64
	var kept []int
	r := [][]float64{}
	for j, x := range cols {
		v := append([]float64(nil), x...)
		coef := make([]float64, len(q))
		for i, qi := range q {
			var dot float64
			for k := 0; k < n; k++ {
				dot += qi[k] * v[k]
			}
			coef[i] = dot
			for k := 0; k < n; k++ {
				v[k] -= dot * qi[k]
			}
		}
		var norm, orig float64
		for k := 0; k < n; k++ {
			norm += v[k] * v[k]
			orig += x[k] * x[k]
		}
		if norm <= 1e-10*orig || norm == 0 {
			if j < nKeep {
				panic("a kept column is collinear")
			}
			continue
		}
		norm = math.Sqrt(norm)
		for k := range v {
			v[k] /= norm
		}
		q = append(q, v)
		kept = append(kept, j)
		r = append(r, append(coef, norm))
	}
	m := len(q)
	// R is upper triangular: R[i][j] = r[j][i].
	R := make([][]float64, m)
	for i := range R {
		R[i] = make([]float64, m)
	}
	for j := range r {
		for i, v := range r[j] {
			R[i][j] = v
		}
	}
	// A = R^-1 by back substitution.
	A := make([][]float64, m)
	for i := range A {
		A[i] = make([]float64, m)
	}
	for c := 0; c < m; c++ {
		for i := m - 1; i >= 0; i-- {
			s := 0.0
			if i == c {
				s = 1
			}
			for k := i + 1; k < m; k++ {
				s -= R[i][k] * A[k][c]
			}
			A[i][c] = s / R[i][i]
		}
	}
	qty := make([]float64, m)
	for i := range q {
		for k := 0; k < n; k++ {
			qty[i] += q[i][k] * y[k]
		}
	}
	b := make([]float64, m)
	for i := 0; i < m; i++ {
		for k := 0; k < m; k++ {
			b[i] += A[i][k] * qty[k]
		}
	}
	// Residuals and leverages; meat = sum w_k q_k q_k'.
	meat := make([][]float64, m)
	for i := range meat {
		meat[i] = make([]float64, m)
	}
	for k := 0; k < n; k++ {
		fit, h := 0.0, 0.0
		for i := 0; i < m; i++ {
			fit += q[i][k] * qty[i]
			h += q[i][k] * q[i][k]
		}
		e := y[k] - fit
		w := e * e / (1 - h)
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				meat[i][j] += w * q[i][k] * q[j][k]
			}
		}
	}
	for c := 0; c < nKeep; c++ {
		beta = append(beta, b[c])
		v := 0.0
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				v += A[c][i] * meat[i][j] * A[c][j]
			}
		}
		se = append(se, math.Sqrt(v))
	}
	_ = kept
	return beta, se
}

type obs struct {
	id       string
	school   string
	grade    int
	zBase    float64
	zOut     float64
	hours    float64
	provider string // "", a provider, or "multi"
}

// sample builds the analytic sample of a subject and outcome window.
func (d *district) sample(subj, win string) []obs {
	// z within grade over every student with that score.
	type mom struct{ n, s, ss float64 }
	moments := map[[2]string]*mom{}
	for k, sc := range d.scores {
		if k[1] != subj {
			continue
		}
		key := [2]string{strconv.Itoa(d.grade[k[0]]), k[2]}
		m := moments[key]
		if m == nil {
			m = &mom{}
			moments[key] = m
		}
		m.n++
		m.s += sc.score
		m.ss += sc.score * sc.score
	}
	z := func(id, w string) float64 {
		m := moments[[2]string{strconv.Itoa(d.grade[id]), w}]
		mean := m.s / m.n
		sd := math.Sqrt((m.ss - m.n*mean*mean) / (m.n - 1))
		return (d.scores[[3]string{id, subj, w}].score - mean) / sd
	}
	hours := map[string]map[string]float64{}
	for _, s := range d.sessions {
		if s.subject != subj || !s.attended {
			continue
		}
		base, ok1 := d.scores[[3]string{s.student, subj, "fall"}]
		out, ok2 := d.scores[[3]string{s.student, subj, win}]
		if !ok1 || !ok2 || !s.day.After(base.day) || !s.day.Before(out.day) {
			continue
		}
		if hours[s.student] == nil {
			hours[s.student] = map[string]float64{}
		}
		hours[s.student][s.provider] += float64(s.minutes) / 60
	}
	var out []obs
	for id := range d.school {
		_, ok1 := d.scores[[3]string{id, subj, "fall"}]
		_, ok2 := d.scores[[3]string{id, subj, win}]
		if !ok1 || !ok2 {
			continue
		}
		o := obs{id: id, school: d.school[id], grade: d.grade[id], zBase: z(id, "fall"), zOut: z(id, win)}
		for p, h := range hours[id] {
			o.hours += h
			if o.provider == "" {
				o.provider = p
			} else {
				o.provider = "multi"
			}
		}
		// Sums over a map come in any order: round so that a student at a
		// band boundary (5 hours) lands in the same band on every run.
		o.hours = math.Round(o.hours*1e6) / 1e6
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// fit regresses z_outcome on the treatment columns, z_baseline, grade and school indicators.
func fit(sample []obs, treat func(o obs) []float64, nTreat int) ([]float64, []float64, int) {
	n := len(sample)
	cols := make([][]float64, nTreat+2)
	for i := range cols {
		cols[i] = make([]float64, n)
	}
	y := make([]float64, n)
	dummies := map[string][]float64{}
	var names []string
	for k, o := range sample {
		for i, v := range treat(o) {
			cols[i][k] = v
		}
		cols[nTreat][k] = 1
		cols[nTreat+1][k] = o.zBase
		y[k] = o.zOut
		for _, name := range []string{"g" + strconv.Itoa(o.grade), "s" + o.school} {
			if dummies[name] == nil {
				dummies[name] = make([]float64, n)
				names = append(names, name)
			}
			dummies[name][k] = 1
		}
	}
	sort.Strings(names)
	for _, name := range names {
		cols = append(cols, dummies[name])
	}
	b, se := ols(cols, y, nTreat)
	return b, se, n
}

func TestPlantedEffectsRecovered(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and re-reads a 6000-student district")
	}
	t.Parallel()
	dir, _, truth := generate(t, 6000, 1)
	d := readDistrict(t, dir)
	for _, f := range truth.Files {
		if f.Kind == "sessions" && d.rejected[filepath.Base(f.Path)] != f.PlantedBadRows {
			t.Errorf("%s: %d rows fail to parse, %d planted", f.Path, d.rejected[filepath.Base(f.Path)], f.PlantedBadRows)
		}
	}
	check := func(what string, est, se float64, want *float64) {
		t.Helper()
		if want == nil {
			return
		}
		dev := (est - *want) / se
		t.Logf("%-32s est %.3f (se %.3f) truth %.3f  %+.1f se", what, est, se, *want, dev)
		if math.Abs(dev) > 3 {
			t.Errorf("%s: estimate %.3f (se %.3f) is %.1f se from the truth %.3f", what, est, se, dev, *want)
		}
	}
	for _, subj := range []string{"math", "ela"} {
		for _, win := range []string{"winter", "spring"} {
			wt := truth.Impact[subj][win]
			all := d.sample(subj, win)
			cells := func(keep func(o obs) bool) []obs {
				tut := map[string]bool{}
				for _, o := range all {
					if keep(o) && o.hours > 0 {
						tut[o.school+"/"+strconv.Itoa(o.grade)] = true
					}
				}
				var out []obs
				for _, o := range all {
					if tut[o.school+"/"+strconv.Itoa(o.grade)] {
						out = append(out, o)
					}
				}
				return out
			}
			s := cells(func(obs) bool { return true })
			b, se, _ := fit(s, func(o obs) []float64 { return []float64{b2f(o.hours > 0)} }, 1)
			check(subj+" "+win+" overall", b[0], se[0], wt.Overall.EffectSD)
			for p, pt := range wt.Providers {
				var ps []obs
				for _, o := range cells(func(o obs) bool { return o.provider == p }) {
					if o.provider == "" || o.provider == p {
						ps = append(ps, o)
					}
				}
				b, se, _ := fit(ps, func(o obs) []float64 { return []float64{b2f(o.provider == p)} }, 1)
				check(subj+" "+win+" "+p, b[0], se[0], pt.EffectSD)
			}
			bands := []float64{0, 5, 10, 20, 30, math.Inf(1)}
			b, se, _ = fit(s, func(o obs) []float64 {
				x := make([]float64, 5)
				for i := 0; i < 5; i++ {
					x[i] = b2f(o.hours > bands[i] && o.hours <= bands[i+1])
				}
				return x
			}, 5)
			for i, band := range wt.Overall.Bands {
				check(subj+" "+win+" band "+band.Band, b[i], se[i], band.EffectSD)
			}
			for i := 1; i < len(wt.Overall.Bands); i++ {
				if lo, hi := wt.Overall.Bands[i-1].EffectSD, wt.Overall.Bands[i].EffectSD; lo == nil || hi == nil || *hi <= *lo {
					t.Errorf("%s %s: true dose-response does not rise from band %s to %s", subj, win, wt.Overall.Bands[i-1].Band, wt.Overall.Bands[i].Band)
				}
			}
			// Spring, the default outcome window, has the wider spread of hours.
			need := 0.0
			if win == "spring" {
				need = 2 * math.Hypot(se[0], se[4])
			}
			if b[4]-b[0] <= need {
				t.Errorf("%s %s: estimated dose-response does not rise clearly: %.3f to %.3f", subj, win, b[0], b[4])
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var _ = synth.TruthFile
