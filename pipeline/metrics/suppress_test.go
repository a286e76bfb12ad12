package metrics

import (
	"encoding/json"
	"strings"
	"testing"
)

func table(ns ...int64) *Table {
	t := &Table{Columns: []string{"school", "students", "rate"}}
	var total int64
	for i, n := range ns {
		t.Rows = append(t.Rows, Row{Values: []any{string(rune('A' + i)), n, 0.5}, N: n})
		total += n
	}
	t.Rows = append(t.Rows, Row{Values: []any{nil, total, 0.5}, N: total, Total: true})
	return t
}

func TestSuppression(t *testing.T) {
	t.Parallel()
	// A cell of 9 students is withheld at min_cell_size 10; with a total
	// shown, the next smallest (15) goes too, or 9 = 54 - 15 - 30.
	tb := table(9, 15, 30)
	suppress(tb, 10)
	want := []string{"fewer than 10 students", "withheld so that a smaller group's figures cannot be worked out from the total", "", ""}
	for i, row := range tb.Rows {
		if row.Suppressed != want[i] {
			t.Errorf("row %d (n=%d): suppressed %q, want %q", i, row.N, row.Suppressed, want[i])
		}
		if (row.Suppressed != "") != (row.Values[1] == nil) || row.Values[0] == nil && !row.Total {
			t.Errorf("row %d: values %v do not match its suppression", i, row.Values)
		}
	}
	// Two small cells protect each other: nothing more is withheld.
	tb = table(4, 6, 30)
	suppress(tb, 10)
	if tb.Rows[2].Suppressed != "" || tb.Rows[0].Suppressed == "" || tb.Rows[1].Suppressed == "" {
		t.Errorf("two small cells: %+v", tb.Rows)
	}
	// No total, no subtraction: only the small cell goes.
	tb = table(9, 15)
	tb.Rows = tb.Rows[:2]
	suppress(tb, 10)
	if tb.Rows[1].Suppressed != "" {
		t.Errorf("without a total, 15 was withheld")
	}
}

// On the fixture, school 102 has one student: at min_cell_size 2 its row is
// withheld and, the total being shown, so is school 101's.
func TestSuppressionOnTheWarehouse(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	r.cfg.Privacy.MinCellSize = 2
	tb, err := r.Run(t.Context(), "engagement", Options{By: []string{"school"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range tb.Rows {
		school := row.Values[indexOf(tb.Columns, "school")]
		switch {
		case row.Total && row.Suppressed != "":
			t.Errorf("total withheld")
		case school == "102" && row.Suppressed != "fewer than 2 students":
			t.Errorf("school 102: %q", row.Suppressed)
		case school == "101" && row.Suppressed == "":
			t.Errorf("school 101 shown: its figures and the total give away school 102's")
		}
		if row.Suppressed != "" && row.Values[indexOf(tb.Columns, "attendance_rate")] != nil {
			t.Errorf("withheld row still shows its attendance rate")
		}
	}
}

// A withheld row's n is a small count too: JSON gives it as null.
func TestWithheldRowHidesItsN(t *testing.T) {
	t.Parallel()
	tb := table(3, 40, 50)
	suppress(tb, 10)
	b, err := json.Marshal(tb.Rows[0])
	if err != nil || !strings.Contains(string(b), `"n":null`) || strings.Contains(string(b), "3") {
		t.Errorf("withheld row as JSON: %s (%v)", b, err)
	}
	if b, _ := json.Marshal(tb.Rows[2]); !strings.Contains(string(b), `"n":50`) {
		t.Errorf("shown row as JSON: %s", b)
	}
}

// Growth has a total per group (tutored, comparison): one withheld cell in a
// group is protected within that group, whatever the other group shows.
func TestComplementaryRulePerGroup(t *testing.T) {
	t.Parallel()
	tb := &Table{Columns: []string{"ell", "group", "students"}, Within: []string{"group"}}
	add := func(ell any, group string, n int64, total bool) {
		tb.Rows = append(tb.Rows, Row{Values: []any{ell, group, n}, N: n, Total: total})
	}
	add(true, "tutored", 7, false)
	add(false, "tutored", 60, false)
	add(true, "comparison", 30, false)
	add(false, "comparison", 200, false)
	add(nil, "tutored", 67, true)
	add(nil, "comparison", 230, true)
	suppress(tb, 10)
	want := []bool{true, true, false, false, false, false}
	for i, row := range tb.Rows {
		if (row.Suppressed != "") != want[i] {
			t.Errorf("row %v: suppressed %q", row.Values, row.Suppressed)
		}
	}
}

// An impact estimate resting on 6 tutored students is withheld whole: the
// group sizes too, since a count under the minimum is itself a small cell.
// One resting on 12 is shown whole.
func TestWithheldEstimateShowsNoCounts(t *testing.T) {
	t.Parallel()
	values := func(nT, nC int) []any {
		v := make([]any, len(ImpactColumns))
		for c, x := range map[string]any{"subject": "math", "assessment": "map_growth", "design": DesignMatched, "model": "provider p1",
			"term": "tutored by p1", "effect_sd": 0.2, "std_error": 0.05, "ci_low": 0.1, "ci_high": 0.3, "p_value": 0.01,
			"cluster_std_error": 0.06, "cluster_ci_low": 0.08, "cluster_ci_high": 0.32, "n_tutored": nT, "n_comparison": nC,
			"n_comparison_effective": 150.0, "n_tutored_unmatched": int64(0), "unadjusted_difference_sd": 0.1,
			"baseline_difference_sd": -0.03, "baseline_equivalence": "satisfied", "note": ""} {
			v[ic[c]] = x
		}
		return v
	}
	r := estimate{values: values(6, 200), nT: 6, nC: 200}.row(10)
	if r.Suppressed == "" {
		t.Fatal("an estimate on 6 tutored students is shown")
	}
	for i, v := range r.Values {
		if i < ic["effect_sd"] && v == nil || i >= ic["effect_sd"] && v != nil {
			t.Errorf("withheld row, column %d: %v", i, v)
		}
	}
	shown := estimate{values: values(12, 200), nT: 12, nC: 200}.row(10)
	if shown.Suppressed != "" || shown.Values[ic["n_tutored"]] != 12 || shown.Values[ic["n_comparison"]] != 200 || shown.N != 12 {
		t.Errorf("shown row: %+v", shown)
	}
}
