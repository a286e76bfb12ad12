package metrics

import (
	"testing"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// With several administrations in a window, the outcome is the one nearest
// the window's end and a comparison student's baseline the one nearest its
// start: extra tests planted before the outcome and after the baseline
// change no row of the analysis table; a subtest changes nothing either.
func TestOneScorePerWindowFromSeveralAdministrations(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and loads a district")
	}
	t.Parallel()
	d := testdistrict.Load(t, 1500, 8)
	sample := func() []string {
		r := districtRunner(t, d)
		if _, err := r.Run(t.Context(), "growth", Options{}); err != nil {
			t.Fatal(err)
		}
		rows, err := r.c.QueryContext(t.Context(), `SELECT student_id || '|' || subject || '|' || assessment || '|' || "group" || '|' ||
			CAST(baseline_date AS VARCHAR) || '|' || CAST(baseline_score AS VARCHAR) || '|' || CAST(outcome_date AS VARCHAR) || '|' || CAST(outcome_score AS VARCHAR)
			FROM analysis_sample WHERE baseline_date IS NOT NULL ORDER BY ALL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	before := sample()
	if len(before) < 100 {
		t.Fatalf("only %d rows in the analysis table", len(before))
	}
	exec := func(q string) int64 {
		res, err := d.Warehouse.DB.ExecContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := res.RowsAffected()
		return n
	}
	// Outcome-window tests a week before each outcome, scored 40 higher;
	// baseline-window tests a week after each comparison student's
	// baseline, 40 lower; and a subtest beside every outcome.
	planted := exec(`INSERT INTO assessments (student_id, school_id, grade, assessment, subject, school_year, "window", test_date,
			scale_score, percentile, achievement_level, file_id, line, measure, primary_measure)
		SELECT a.student_id, a.school_id, a.grade, a.assessment, a.subject, a.school_year, a."window", a.test_date - 7,
			a.scale_score + 40, a.percentile, a.achievement_level, a.file_id, a.line, 'composite', true
		FROM assessments a WHERE a."window" = 'spring'
		UNION ALL
		SELECT a.student_id, a.school_id, a.grade, a.assessment, a.subject, a.school_year, a."window", a.test_date + 7,
			a.scale_score - 40, a.percentile, a.achievement_level, a.file_id, a.line, 'composite', true
		FROM assessments a WHERE a."window" = 'fall'
		  AND a.student_id NOT IN (SELECT student_id FROM sessions WHERE status = 'attended')
		UNION ALL
		SELECT a.student_id, a.school_id, a.grade, a.assessment, a.subject, a.school_year, a."window", a.test_date,
			a.scale_score * 3, a.percentile, a.achievement_level, a.file_id, a.line, 'orf', false
		FROM assessments a WHERE a."window" = 'spring' AND a.measure = 'composite'`)
	if planted < 1000 {
		t.Fatalf("planted only %d tests", planted)
	}
	after := sample()
	if len(after) != len(before) {
		t.Fatalf("%d rows before the extra tests, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("row %d changed:\n before %s\n after  %s", i, before[i], after[i])
			break
		}
	}
}
