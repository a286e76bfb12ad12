package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// The analysis sample's z-scores come from exact integer sums (so the same
// data always gives the same bits); they equal DuckDB's own avg and
// stddev_samp, computed independently here, to 1e-9.
func TestZScoresMatchDuckDB(t *testing.T) {
	t.Parallel()
	d := testdistrict.Load(t, 600, 2)
	c, err := d.Warehouse.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := New(t.Context(), c, d.Setup.Config, time.Now); err != nil {
		t.Fatal(err)
	}
	var n int
	var worst float64
	err = c.QueryRowContext(t.Context(), `
		WITH scores AS (
		    SELECT a.*, coalesce(a.grade, st.grade) AS g
		    FROM assessments a LEFT JOIN students st USING (student_id)
		),
		ref AS (
		    SELECT student_id, subject, assessment, "window",
		           (scale_score - avg(scale_score) OVER w) / stddev_samp(scale_score) OVER w AS z
		    FROM scores WINDOW w AS (PARTITION BY g, subject, "window", assessment)
		)
		SELECT count(*), max(abs(s.z_outcome - r.z))
		FROM analysis_sample s JOIN ref r USING (student_id, subject, assessment)
		WHERE r."window" = ?`, d.Setup.Config.Impact.OutcomeWindow).Scan(&n, &worst)
	if err != nil {
		t.Fatal(err)
	}
	if n < 500 || worst > 1e-9 {
		t.Errorf("%d outcome z-scores compared; largest difference %g", n, worst)
	}
	t.Logf("%d outcome z-scores; largest difference from avg/stddev_samp %.1e", n, worst)
}
