package metrics

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/wiring"
	"github.com/hitreflect/hitreflect/pipeline"
)

// fixtureConfig: four weeks of September 2025, the third on break, so the
// instructional weeks are those of Sep 1, Sep 8 and Sep 22.
const fixtureConfig = `district: Fixture
school_year: 2025-26
calendar:
  start: 2025-09-01
  end: 2025-09-28
  breaks: [{from: 2025-09-15, to: 2025-09-19}]
  periods: [{name: early, from: 2025-09-01, to: 2025-09-07}]
privacy: {min_cell_size: 1}
dosage_target: {sessions_per_week: 2, minutes_per_week: 60}
providers:
  - {id: p1, cost: {per_student: 1000}}
  - {id: p2, cost: {per_hour: 40}}
sources:
  - {name: p1, kind: sessions, provider: p1, connector: {type: local, path: ., pattern: sessions.csv}, profile: canonical-sessions}
  - {name: p2, kind: sessions, provider: p2, connector: {type: local, path: ., pattern: sessions_p2.csv}, profile: canonical-sessions}
  - {name: roster, kind: roster, connector: {type: local, path: ., pattern: roster.csv}, profile: canonical-roster}
  - {name: tests, kind: assessments, connector: {type: local, path: ., pattern: assessments.csv}, profile: canonical-assessments}
`

// newRunner loads testdata into a fresh warehouse and sets up metrics on it.
func newRunner(t *testing.T, extra string) *Runner {
	t.Helper()
	return newRunnerFor(t, fixtureConfig+extra)
}

// newRunnerFor loads the fixtures under a config of the test's own.
func newRunnerFor(t *testing.T, config string) *Runner {
	t.Helper()
	dir, _ := filepath.Abs("testdata")
	cfgPath := filepath.Join(t.TempDir(), "hitreflect.yaml")
	text := strings.ReplaceAll(config, "path: .", "path: "+dir)
	if err := writeFile(cfgPath, text); err != nil {
		t.Fatal(err)
	}
	s, err := pipeline.Prepare(cfgPath, wiring.Connectors())
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.OpenWarehouse(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	results, err := s.Ingest(t.Context(), w, pipeline.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Failed() {
			t.Fatalf("%s failed: %v", r.Source, r.Err)
		}
	}
	c, err := w.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r, err := New(t.Context(), c, s.Config, func() time.Time { return time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// value finds a figure in the row whose dimensions match.
func value(t *testing.T, tb *Table, column string, match map[string]string) any {
	t.Helper()
	c := indexOf(tb.Columns, column)
	if c < 0 {
		t.Fatalf("no column %s in %v", column, tb.Columns)
	}
rows:
	for _, row := range tb.Rows {
		for dim, want := range match {
			if dim == "total" {
				if !row.Total {
					continue rows
				}
				continue
			}
			if fmt.Sprint(row.Values[indexOf(tb.Columns, dim)]) != want {
				continue rows
			}
		}
		return row.Values[c]
	}
	t.Fatalf("no row %v", match)
	return nil
}

func near(t *testing.T, what string, got any, want float64) {
	t.Helper()
	var g float64
	switch x := got.(type) {
	case float64:
		g = x
	case int64:
		g = float64(x)
	case int32:
		g = float64(x)
	default:
		t.Errorf("%s = %v (%T), want %v", what, got, got, want)
		return
	}
	if math.Abs(g-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, g, want)
	}
}

// Every expected figure below was worked out by hand from testdata:
//
//	A (school 101, grade 3, p1): 5 scheduled, 4 attended, 1 absent; 135 min;
//	  weeks of Sep 1, 8, (15 is a break), 22 -> 3 active weeks;
//	  4/3 sessions and 45 min a week (target 2 and 60: not met);
//	  tutors T1,T1,T2,T1 -> consistency 3/4; 2.25 hours.
//	B (101, grade 4, p1): 3 scheduled, 2 attended, 0 absent, 1 tutor absent;
//	  120 min in the week of Sep 1 -> 2 sessions, 120 min a week: met;
//	  consistency 1; 2 hours.
//	C (102, grade 6, p2): 2 scheduled (1 cancelled, 1 absent), none attended.
func TestEngagementByHand(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	tb, err := r.Run(t.Context(), "engagement", Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{}
	for col, want := range map[string]float64{
		"students_scheduled":         3,
		"students_served":            2,
		"sessions_scheduled":         10,
		"sessions_attended":          6,
		"attendance_rate":            6.0 / 8, // attended / (attended + student absent)
		"delivery_rate":              8.0 / 10,
		"sessions_per_week":          (4.0/3 + 2) / 2,
		"minutes_per_week":           (45.0 + 120) / 2,
		"minutes_per_week_p25":       45 + 0.25*75,
		"minutes_per_week_median":    82.5,
		"minutes_per_week_p75":       45 + 0.75*75,
		"students_5_10_hours":        0,
		"students_10_20_hours":       0,
		"students_20_30_hours":       0,
		"hours_delivered":            (135.0 + 30 + 120 + 30) / 60, // attended + student absent: A 165, B 120, C 30
		"minutes_per_student_served": (135.0 + 120) / 2,
		"share_meeting_target":       0.5,
		"students_meeting_target":    1,
		"hours_attended":             (135.0 + 120) / 60,
		"hours_per_student_served":   (2.25 + 2) / 2,
		"students_0_hours":           1,
		"students_0_5_hours":         2,
		"students_over_30_hours":     0,
		"mean_group_size":            (3*4 + 2 + 5) / 6.0,
		"share_groups_of_4_or_fewer": 5.0 / 6,
		"tutor_consistency":          (0.75 + 1) / 2,
	} {
		near(t, col, value(t, tb, col, all), want)
	}

	by, err := r.Run(t.Context(), "engagement", Options{By: []string{"school"}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "school 101 attendance", value(t, by, "attendance_rate", map[string]string{"school": "101"}), 6.0/7)
	near(t, "school 102 delivery", value(t, by, "delivery_rate", map[string]string{"school": "102"}), 1.0/2)
	near(t, "school 102 served", value(t, by, "students_served", map[string]string{"school": "102"}), 0)
	near(t, "total row", value(t, by, "students_scheduled", map[string]string{"total": ""}), 3)

	early, err := r.Run(t.Context(), "engagement", Options{Period: "early", By: []string{"provider"}})
	if err != nil {
		t.Fatal(err)
	}
	// Sep 1-7: A attended 2 (60 min, 1 week), B attended 2 of 3.
	near(t, "early p1 sessions", value(t, early, "sessions_scheduled", map[string]string{"provider": "p1"}), 5)
	near(t, "early p1 minutes a week", value(t, early, "minutes_per_week", map[string]string{"provider": "p1"}), (60.0+120)/2)
	near(t, "early p1 meeting", value(t, early, "share_meeting_target", map[string]string{"provider": "p1"}), 1)
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

// Assessments (testdata/assessments.csv), fall baseline, spring outcome,
// cutoff percentile 40. Student x subject: A-math 30 (eligible, served),
// B-ela 55 (served), C-math 20 (eligible, not served: no attended session),
// D-math 35 (eligible), D-ela 70, E-ela 45.
func TestCoverageByHand(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	tb, err := r.Run(t.Context(), "coverage", Options{By: []string{"subject"}})
	if err != nil {
		t.Fatal(err)
	}
	math := map[string]string{"subject": "math"}
	ela := map[string]string{"subject": "ela"}
	near(t, "math eligible", value(t, tb, "eligible", math), 3)     // A, C, D
	near(t, "math coverage", value(t, tb, "coverage", math), 1.0/3) // A of A, C, D
	near(t, "math targeting", value(t, tb, "targeting", math), 1)   // A, eligible
	near(t, "ela eligible", value(t, tb, "eligible", ela), 0)
	if v := value(t, tb, "coverage", ela); v != nil {
		t.Errorf("ela coverage with no eligible student = %v, want empty", v)
	}
	near(t, "ela targeting", value(t, tb, "targeting", ela), 0) // B, not eligible
	total := map[string]string{"total": ""}
	near(t, "students", value(t, tb, "students", total), 6) // A-m, B-e, C-m, D-m, D-e, E-e
	near(t, "with baseline", value(t, tb, "students_with_baseline", total), 6)
	near(t, "eligible served", value(t, tb, "eligible_served", total), 1)
	near(t, "served", value(t, tb, "served", total), 2)
	near(t, "served without baseline", value(t, tb, "served_without_baseline", total), 0)
	near(t, "coverage", value(t, tb, "coverage", total), 1.0/3)
	near(t, "targeting", value(t, tb, "targeting", total), 1.0/2)
}

// The analysis sample, by hand. Math: school 101 grade 3 had A tutored (4
// sessions between the fall and spring tests), so D there is the
// comparison; C (102, grade 6) is in a cell with nobody tutored. ELA: B
// tutored in 101 grade 4, E the comparison; D-ela (grade 3) is out.
func TestGrowthByHand(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	tb, err := r.Run(t.Context(), "growth", Options{By: []string{"subject"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		subject, group           string
		gain, pct, base, outcome float64
	}{
		{"math", "tutored", 200 - 190, 38 - 30, 0, 0},    // A: 30 and 38 are below 40
		{"math", "comparison", 192 - 188, 36 - 35, 0, 0}, // D
		{"ela", "tutored", 204 - 200, 52 - 55, 1, 1},     // B: 55, 52
		{"ela", "comparison", 199 - 198, 40 - 45, 1, 1},  // E: 45, and 40 is at the benchmark
	} {
		m := map[string]string{"subject": c.subject, "group": c.group}
		near(t, c.subject+" "+c.group+" students", value(t, tb, "students", m), 1)
		near(t, c.subject+" "+c.group+" gain", value(t, tb, "mean_scale_score_gain", m), c.gain)
		near(t, c.subject+" "+c.group+" percentile change", value(t, tb, "mean_percentile_change", m), c.pct)
		near(t, c.subject+" "+c.group+" at benchmark (baseline)", value(t, tb, "share_at_benchmark_baseline", m), c.base)
		near(t, c.subject+" "+c.group+" at benchmark (outcome)", value(t, tb, "share_at_benchmark_outcome", m), c.outcome)
	}
	near(t, "tutored total gain", value(t, tb, "mean_scale_score_gain", map[string]string{"total": "", "group": "tutored"}), (10.0+4)/2)
}

// Contracts: p1 1,000 per student served; p2 40 per hour delivered.
// p1 served A and B (2), 4.25 hours attended, 1 meeting the target: 2,000.
// p2 held one session for C, who was absent (30 min delivered; the
// cancelled one was not): 0.5 hours x 40 = 20, nobody served.
func TestCostByHand(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	tb, err := r.Run(t.Context(), "cost", Options{By: []string{"provider"}})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := map[string]string{"provider": "p1"}, map[string]string{"provider": "p2"}
	near(t, "p1 total", value(t, tb, "total_cost", p1), 2000)
	near(t, "p1 hours attended", value(t, tb, "hours_attended", p1), 4.25)
	near(t, "p1 hours delivered", value(t, tb, "hours_delivered", p1), (165.0+120)/60)
	near(t, "p1 meeting target", value(t, tb, "students_meeting_target", p1), 1)
	near(t, "p2 hours delivered", value(t, tb, "hours_delivered", p2), 0.5)
	near(t, "p1 per student", value(t, tb, "cost_per_student_served", p1), 1000)
	near(t, "p1 per hour", value(t, tb, "cost_per_hour_attended", p1), 2000/4.25)
	near(t, "p1 per student meeting target", value(t, tb, "cost_per_student_meeting_target", p1), 2000)
	near(t, "p2 total", value(t, tb, "total_cost", p2), 20)
	if v := value(t, tb, "cost_per_student_served", p2); v != nil {
		t.Errorf("p2 cost per student served = %v with nobody served", v)
	}
	near(t, "total", value(t, tb, "total_cost", map[string]string{"total": ""}), 2020)
}

// With p2's contract left out of the config, the total row counts p1's
// students and hours only (2 served, 4.25 hours, 1 meeting the target, 2,000),
// says so, and shows its student counts as counts.
func TestCostTotalWithoutOneContract(t *testing.T) {
	t.Parallel()
	config := strings.Replace(fixtureConfig, "  - {id: p2, cost: {per_hour: 40}}", "  - {id: p2}", 1)
	if config == fixtureConfig {
		t.Fatal("the fixture config no longer has p2's contract")
	}
	tb, err := newRunnerFor(t, config).Run(t.Context(), "cost", Options{By: []string{"provider"}})
	if err != nil {
		t.Fatal(err)
	}
	total := map[string]string{"total": ""}
	for col, want := range map[string]int64{"students_served": 2, "students_meeting_target": 1} {
		if v, ok := value(t, tb, col, total).(int64); !ok || v != want {
			t.Errorf("total %s = %v (%T), want the count %d", col, value(t, tb, col, total), value(t, tb, col, total), want)
		}
	}
	near(t, "total hours attended", value(t, tb, "hours_attended", total), 4.25)
	near(t, "total cost", value(t, tb, "total_cost", total), 2000)
	near(t, "total per student", value(t, tb, "cost_per_student_served", total), 1000)
	near(t, "total per hour", value(t, tb, "cost_per_hour_attended", total), 2000/4.25)
	if v := value(t, tb, "total_cost", map[string]string{"provider": "p2"}); v != nil {
		t.Errorf("p2, without a contract, costs %v", v)
	}
	if !strings.Contains(tb.Note, "only the providers with a contract") {
		t.Errorf("note %q", tb.Note)
	}
}

// testdata/sessions_quality.csv adds to p2: a Saturday session of 200
// minutes, a 3-minute session in the break week for an unknown student Z,
// and a math session for A, whom p1 also tutors in math.
func TestQualityByHand(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "  - {name: p2b, kind: sessions, provider: p2, connector: {type: local, path: ., pattern: sessions_quality.csv}, profile: canonical-sessions}\n")
	tb, err := r.Run(t.Context(), "quality", Options{By: []string{"provider"}})
	if err != nil {
		t.Fatal(err)
	}
	p2 := map[string]string{"provider": "p2"}
	for col, want := range map[string]float64{
		"sessions": 5, "students": 3, "id_match_rate": 4.0 / 5, "sessions_unmatched_id": 1,
		"sessions_outside_calendar": 1, "sessions_on_weekends": 1, "durations_over_180": 1, "durations_under_5": 1,
		"students_with_several_providers": 1, "files_loaded": 2, "rows_read": 5,
	} {
		near(t, "p2 "+col, value(t, tb, col, p2), want)
	}
	near(t, "p1 students with several providers", value(t, tb, "students_with_several_providers", map[string]string{"provider": "p1"}), 1)
	near(t, "total sessions", value(t, tb, "sessions", map[string]string{"total": ""}), 13)
}

// Cost per 0.1 SD, by hand: p1 costs 1,000 per student served; an effect of
// 0.25 SD is 2.5 tenths, so 1,000 / 2.5 = 400 per student per 0.1 SD. A
// negative effect has no price, nor does a provider without an estimate.
func TestCostPerEffectByHand(t *testing.T) {
	t.Parallel()
	tb := &Table{Columns: []string{"provider", "cost_per_student_served"}, Rows: []Row{
		{Values: []any{"p1", 1000.0}}, {Values: []any{"p2", 500.0}}, {Values: []any{"p3", 800.0}}, {Values: []any{nil, 900.0}, Total: true},
	}}
	addCostPerEffect(tb, map[string]map[string]float64{"math": {"p1": 0.25, "p2": -0.1}})
	col := indexOf(tb.Columns, "cost_per_student_per_0.1_sd_math")
	near(t, "p1", tb.Rows[0].Values[col], 400)
	for i, who := range []string{"p2 (negative effect)", "p3 (no estimate)", "total"} {
		if v := tb.Rows[i+1].Values[col]; v != nil {
			t.Errorf("%s priced at %v", who, v)
		}
	}
}

// The fixture's samples are tiny (one tutored and one comparison student per
// subject): every model says in words why it cannot be fitted, and shows no
// number, rather than a NaN.
func TestImpactSaysWhyNotEstimable(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	tb, err := r.Run(t.Context(), "impact", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) == 0 {
		t.Fatal("no impact rows")
	}
	note := indexOf(tb.Columns, "note")
	for _, row := range tb.Rows {
		if row.Values[ic["effect_sd"]] != nil {
			t.Errorf("%v: an estimate from one student per group", row.Values[:5])
		}
		if n, _ := row.Values[note].(string); !strings.Contains(n, "not estimable") && !strings.Contains(n, "no students") {
			t.Errorf("%v: note %q does not say why there is no estimate", row.Values[:5], n)
		}
	}
}

// A Runner answers a query it has answered before from what it kept, and
// the caller's rows are its own: withholding cells in one table leaves the
// next caller's untouched.
func TestRunnerKeepsQueryResults(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	from, to, _, err := r.period("year")
	if err != nil {
		t.Fatal(err)
	}
	first, cols, err := r.query(t.Context(), "engagement", from, to, []string{"provider"})
	if err != nil || len(first) == 0 {
		t.Fatalf("engagement: %d rows, %v", len(first), err)
	}
	want := fmt.Sprint(first[0].Values)
	first[0].Values[0] = "changed by the caller"
	again, cols2, err := r.query(t.Context(), "engagement", from, to, []string{"provider"})
	if err != nil || fmt.Sprint(again[0].Values) != want || len(cols2) != len(cols) || len(r.results) != 1 {
		t.Errorf("second answer %v (%v), want %v; %d results kept", again[0].Values, err, want, len(r.results))
	}
}
