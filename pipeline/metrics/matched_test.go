package metrics

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
	"github.com/hitreflect/hitreflect/pipeline/impact"
)

// A dose band no tutored student is in is left out of the model and listed
// as "no students"; a band under the minimum cell size is withheld; every
// other band has its estimate; and the slope per 10 hours is estimated.
func TestDoseResponseWithAnEmptyBand(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	var rows []sampleRow
	for i := 0; i < 1200; i++ {
		s := sampleRow{subject: "math", assessment: "map_growth", school: fmt.Sprintf("S%d", r.IntN(6)), grade: fmt.Sprint(3 + (i/3)%3),
			zBase: r.NormFloat64(), group: "comparison", band: "0"}
		if i%3 == 0 {
			// tutored: (5,10], (10,20] and >30 hours, a few in (20,30], none in (0,5]
			s.group, s.provider = "tutored", "p1"
			switch k := i % 27; {
			case k < 9:
				s.hours = 6 + 3*r.Float64()
			case k < 18:
				s.hours = 12 + 7*r.Float64()
			default:
				s.hours = 31 + 10*r.Float64()
			}
			if i%200 == 0 {
				s.hours = 25
			}
			s.band = bandOf(s.hours)
		}
		s.zOut = 0.7*s.zBase + 0.01*s.hours + 0.3*r.NormFloat64()
		rows = append(rows, s)
	}
	ms, err := models(rows, impact.MatchOptions{Caliper: 0.2, K: 3})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Row{}
	for _, m := range ms {
		if m.name != modelDose && m.name != modelSlope {
			continue
		}
		for _, e := range fitModel(m) {
			row := e.row(10)
			got[row.Values[ic["term"]].(string)] = row
		}
	}
	if n, _ := got["hours (0,5]"].Values[ic["note"]].(string); !strings.HasPrefix(n, "no students") || got["hours (0,5]"].Values[ic["effect_sd"]] != nil {
		t.Errorf("empty band: %v", got["hours (0,5]"].Values)
	}
	if r := got["hours (20,30]"]; r.Suppressed == "" || r.Values[ic["effect_sd"]] != nil {
		t.Errorf("band of %v students: not withheld: %v", r.N, r.Values)
	}
	for _, b := range []string{"hours (5,10]", "hours (10,20]", "hours >30", termSlope} {
		v, ok := got[b].Values[ic["effect_sd"]].(float64)
		if !ok {
			t.Errorf("%s: no estimate: %v", b, got[b].Values)
			continue
		}
		t.Logf("%s: %.3f", b, v)
	}
	// planted: 0.01 SD per hour, 0.1 per 10 hours
	if v, _ := got[termSlope].Values[ic["effect_sd"]].(float64); v < 0.05 || v > 0.15 {
		t.Errorf("slope %.3f SD per 10 hours, planted 0.1", v)
	}
}

func bandOf(h float64) string {
	switch {
	case h == 0:
		return "0"
	case h <= 5:
		return "(0,5]"
	case h <= 10:
		return "(5,10]"
	case h <= 20:
		return "(10,20]"
	case h <= 30:
		return "(20,30]"
	}
	return ">30"
}

// No tutored student's baseline is dated after their first attended
// session in the subject; the synthetic district's students who missed the
// fall test, tutored before winter, are left out and counted with why.
func TestBaselinePrecedesTutoring(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and loads a district")
	}
	t.Parallel()
	r := districtRunner(t, testdistrict.Load(t, 3000, 5))
	var tutored, late, noBaseline int
	err := r.c.QueryRowContext(t.Context(), `
		WITH first AS (
		    SELECT student_id, subject, min(session_date) AS first_session
		    FROM sessions WHERE status = 'attended' GROUP BY ALL
		)
		SELECT count(*) FILTER (WHERE a."group" = 'tutored'),
		       count(*) FILTER (WHERE a."group" = 'tutored' AND a.baseline_date > f.first_session),
		       count(*) FILTER (WHERE a.excluded_reason = 'no baseline before tutoring began' AND a.baseline_date IS NULL)
		FROM analysis_sample a LEFT JOIN first f USING (student_id, subject)`).Scan(&tutored, &late, &noBaseline)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tutored; %d with a baseline after their first session; %d left out with no baseline before tutoring", tutored, late, noBaseline)
	if tutored < 200 || late != 0 || noBaseline == 0 {
		t.Errorf("%d tutored, %d baselines after the first session, %d left out for no baseline", tutored, late, noBaseline)
	}
	tb, err := r.Run(t.Context(), "impact", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range tb.Rows {
		v := row.Values
		if v[ic["design"]] == DesignMatched && v[ic["model"]] == modelOverall {
			n, _ := v[ic["n_no_baseline"]].(int64)
			note, _ := v[ic["note"]].(string)
			if n == 0 && v[ic["n_no_baseline"]] != nil || n > 0 && !strings.Contains(note, "no score before tutoring began") {
				t.Errorf("%s: %v left out for no baseline; note %q", v[ic["subject"]], v[ic["n_no_baseline"]], note)
			}
		}
	}
}

// A tutored student whose only score this year came after tutoring began
// is left out with the reason; with impact.baseline_prior_spring, last
// spring's score is the baseline instead.
func TestBaselinePriorSpring(t *testing.T) {
	t.Parallel()
	config := func(prior bool) string {
		return fmt.Sprintf(`district: Fixture
school_year: 2025-26
impact: {baseline_prior_spring: %v}
privacy: {min_cell_size: 1}
providers:
  - {id: p1, cost: {per_student: 1000}}
sources:
  - {name: p1, kind: sessions, provider: p1, connector: {type: local, path: ., pattern: prior_sessions.csv}, profile: canonical-sessions}
  - {name: tests, kind: assessments, connector: {type: local, path: ., pattern: prior_assessments.csv}, profile: canonical-assessments}
`, prior)
	}
	for _, prior := range []bool{false, true} {
		r := newRunnerFor(t, config(prior))
		var group, reason, baseline sql.NullString
		err := r.c.QueryRowContext(t.Context(), `SELECT "group", excluded_reason, CAST(baseline_date AS VARCHAR)
			FROM analysis_sample WHERE student_id = 'X'`).Scan(&group, &reason, &baseline)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("prior spring %v: X is %s (%s), baseline %s", prior, group.String, reason.String, baseline.String)
		switch {
		case !prior && (group.String != "excluded" || reason.String != "no baseline before tutoring began" || baseline.Valid):
			t.Errorf("without the prior spring: X is %v (%v), baseline %v", group, reason, baseline)
		case prior && (group.String != "tutored" || baseline.String != "2025-05-20"):
			t.Errorf("with the prior spring: X is %v, baseline %v", group, baseline)
		}
		// Y, untutored, keeps this year's fall as its baseline either way.
		if err := r.c.QueryRowContext(t.Context(), `SELECT CAST(baseline_date AS VARCHAR) FROM analysis_sample WHERE student_id = 'Y'`).Scan(&baseline); err != nil || baseline.String != "2025-09-08" {
			t.Errorf("Y's baseline %v (%v)", baseline, err)
		}
	}
}
