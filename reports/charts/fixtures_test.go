package charts

import (
	"time"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// Hand-built tables in the shape `hitreflect metrics` returns them (the
// same column names, value types and withheld rows), so the charts are
// tested without a warehouse. The figures are made up but plausible.

const (
	small      = "fewer than 10 students"
	complement = "withheld so that a smaller group's figures cannot be worked out from the total"
)

var testOptions = Options{
	Schools:   map[string]string{"101": "Lincoln", "102": "Adams", "103": "Jefferson", "104": "Roosevelt"},
	Providers: map[string]string{"brightpath": "BrightPath", "learnwell": "LearnWell", "tutorcorps": "TutorCorps"},
	Colors:    Palette([]string{"tutorcorps", "learnwell", "brightpath"}),
}

// row is a group's row; its n is the given count.
func row(n int64, values ...any) metrics.Row { return metrics.Row{Values: values, N: n} }

// withheld is a withheld row: dimensions kept, every figure nil.
func withheld(why string, dims ...any) metrics.Row {
	return metrics.Row{Values: dims, Suppressed: why}
}

// pad fills a withheld row's figures with nils up to the columns.
func pad(t *metrics.Table) *metrics.Table {
	for i, r := range t.Rows {
		for len(r.Values) < len(t.Columns) {
			r.Values = append(r.Values, nil)
		}
		t.Rows[i] = r
	}
	return t
}

func total(n int64, values ...any) metrics.Row {
	return metrics.Row{Values: values, N: n, Total: true}
}

func engagementBySchoolProvider() *metrics.Table {
	return pad(&metrics.Table{
		Family: "engagement", Title: "Engagement: dosage and attendance", Period: "year",
		By:      []string{"school", "provider"},
		Columns: []string{"school", "provider", "students_scheduled", "students_served", "sessions_scheduled", "sessions_attended", "attendance_rate"},
		Rows: []metrics.Row{
			row(60, "101", "brightpath", int64(61), int64(60), int64(3371), int64(2300), 0.71),
			row(46, "102", "learnwell", int64(46), int64(46), int64(2557), int64(2170), 0.88),
			row(40, "103", "brightpath", int64(41), int64(40), int64(2212), int64(1700), 0.80),
			withheld(small, "103", "tutorcorps"),
			row(30, "104", "learnwell", int64(30), int64(30), int64(1684), int64(1250), 0.77),
			withheld(complement, "104", "tutorcorps"),
			total(190, nil, nil, int64(191), int64(190), int64(10580), int64(8100), 0.79),
		},
		MinCellSize: 10, NColumn: "students_scheduled",
	})
}

func engagementBySchool() *metrics.Table {
	return pad(&metrics.Table{
		Family: "engagement", Period: "year", By: []string{"school"},
		Columns: []string{"school", "students_served", "students_meeting_target", "share_meeting_target"},
		Rows: []metrics.Row{
			row(60, "101", int64(60), int64(7), 7.0/60),
			row(46, "102", int64(46), int64(3), 3.0/46),
			withheld(small, "103"),
			row(53, "104", int64(53), int64(1), 1.0/53),
			total(166, nil, int64(166), int64(12), 12.0/166),
		},
		MinCellSize: 10, NColumn: "students_scheduled",
	})
}

func engagementByProvider() *metrics.Table {
	return pad(&metrics.Table{
		Family: "engagement", Period: "year", By: []string{"provider"},
		Columns: []string{"provider", "students_served", "minutes_per_week", "minutes_per_week_p25", "minutes_per_week_median", "minutes_per_week_p75", "share_meeting_target"},
		Rows: []metrics.Row{
			row(305, "brightpath", int64(305), 81.0, 61.9, 77.8, 101.8, 0.07),
			row(193, "learnwell", int64(193), 115.9, 84.0, 108.6, 145.4, 0.12),
			withheld(small, "tutorcorps"),
			total(505, nil, int64(505), 94.9, 67.0, 88.2, 116.1, 0.10),
		},
		MinCellSize: 10, NColumn: "students_scheduled",
	})
}

func engagementByWeekProvider() *metrics.Table {
	week := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			panic(err)
		}
		return d
	}
	t := &metrics.Table{
		Family: "engagement", Period: "Q1", By: []string{"week", "provider"},
		Columns:     []string{"provider", "week", "students_scheduled", "students_served", "attendance_rate", "minutes_per_student_served"},
		MinCellSize: 10, NColumn: "students_scheduled",
	}
	// The week of Oct 13 is a break: no row at all, the lines break there.
	weeks := []string{"2025-09-08", "2025-09-15", "2025-09-22", "2025-09-29", "2025-10-06", "2025-10-20", "2025-10-27"}
	bright := []float64{0.84, 0.82, 0.80, 0.83, 0.79, 0.76, 0.71}
	brightMin := []float64{78, 84, 88, 90, 86, 80, 74}
	learn := []float64{0.78, 0.80, -1, 0.81, 0.80, 0.82, 0.83}
	learnMin := []float64{96, 104, -1, 110, 112, 108, 115}
	for i, w := range weeks {
		t.Rows = append(t.Rows, row(40, "brightpath", week(w), int64(42), int64(40), bright[i], brightMin[i]))
	}
	for i, w := range weeks {
		if learn[i] < 0 {
			t.Rows = append(t.Rows, withheld(small, "learnwell", week(w)))
			continue
		}
		t.Rows = append(t.Rows, row(30, "learnwell", week(w), int64(31), int64(30), learn[i], learnMin[i]))
	}
	t.Rows = append(t.Rows, total(75, nil, nil, int64(77), int64(75), 0.80, 1480.0))
	return pad(t)
}

func coverageBySchoolSubject() *metrics.Table {
	return pad(&metrics.Table{
		Family: "coverage", Period: "year", By: []string{"school", "subject"},
		Columns: []string{"school", "subject", "students", "eligible", "eligible_served", "coverage"},
		Rows: []metrics.Row{
			row(129, "101", "ela", int64(129), int64(78), int64(19), 19.0/78),
			row(129, "101", "math", int64(129), int64(64), int64(32), 0.5),
			row(116, "102", "ela", int64(116), int64(56), int64(12), 12.0/56),
			row(116, "102", "math", int64(116), int64(44), int64(20), 20.0/44),
			row(112, "103", "ela", int64(112), int64(0), int64(0), nil), // nobody eligible: no figure
			row(112, "103", "math", int64(112), int64(55), int64(33), 0.6),
			withheld(small, "104", "ela"),
			withheld(complement, "104", "math"),
			total(738, nil, nil, int64(738), int64(330), int64(130), 130.0/330),
		},
		MinCellSize: 10, NColumn: "students",
	})
}

var impactCols = metrics.ImpactColumns

// impactRow lays out an impact row's values by column name.
func impactRow(vals map[string]any) []any {
	out := make([]any, len(impactCols))
	for i, c := range impactCols {
		out[i] = vals[c]
	}
	return out
}

// est is an impact row of the matched design.
func est(subject, model, term string, b, lo, hi float64, nT, nC int64, eq string) metrics.Row {
	n := nT
	if nC < n {
		n = nC
	}
	return metrics.Row{N: n, Values: impactRow(map[string]any{"subject": subject, "assessment": "map_growth", "design": metrics.DesignMatched,
		"model": model, "term": term, "effect_sd": b, "std_error": (hi - lo) / 3.92, "ci_low": lo, "ci_high": hi, "p_value": 0.01,
		"cluster_std_error": (hi - lo) / 3.5, "cluster_ci_low": lo - 0.01, "cluster_ci_high": hi + 0.01,
		"n_tutored": nT, "n_comparison": nC, "n_comparison_effective": float64(nC) * 0.7, "n_tutored_unmatched": int64(0),
		"unadjusted_difference_sd": b - 0.05, "baseline_difference_sd": baselineFor[eq], "baseline_equivalence": eq})}
}

// baselineFor is a baseline difference that reads as each WWC reading.
var baselineFor = map[string]float64{"satisfied": -0.03, "satisfied only with statistical adjustment": -0.08, "not equivalent": -0.31}

// estWithheld is an impact row withheld for a small group: nothing but
// which estimate it is stays, not even the group sizes.
func estWithheld(subject, model, term string, nT, nC int64) metrics.Row {
	return metrics.Row{Suppressed: "fewer than 10 students in a group", N: min(nT, nC),
		Values: impactRow(map[string]any{"subject": subject, "assessment": "map_growth", "design": metrics.DesignMatched, "model": model, "term": term})}
}

// sensitivity is a whole-sample row, which no chart draws.
func sensitivity(subject, model, term string, b float64) metrics.Row {
	return metrics.Row{N: 500, Values: impactRow(map[string]any{"subject": subject, "assessment": "map_growth", "design": metrics.DesignWholeSample,
		"model": model, "term": term, "effect_sd": b, "std_error": 0.04, "ci_low": b - 0.08, "ci_high": b + 0.08, "p_value": 0.01,
		"n_tutored": int64(500), "n_comparison": int64(900), "baseline_difference_sd": -1.1, "baseline_equivalence": "not equivalent"})}
}

func impactTable() *metrics.Table {
	const ne, ok = "satisfied only with statistical adjustment", "satisfied"
	return &metrics.Table{
		Family: "impact", Period: "school year 2025-26",
		Columns: impactCols, Within: []string{"subject", "assessment", "design", "model", "term"}, MinCellSize: 10,
		Note: metrics.ImpactCaveat,
		Rows: []metrics.Row{
			est("ela", "tutored vs comparison", "tutored", 0.15, 0.09, 0.21, 310, 812, ne),
			est("ela", "provider brightpath", "tutored by brightpath", 0.15, 0.06, 0.24, 121, 495, ne),
			est("ela", "provider learnwell", "tutored by learnwell", 0.05, -0.08, 0.17, 86, 328, ne),
			estWithheld("ela", "provider tutorcorps", "tutored by tutorcorps", 8, 258),
			est("ela", "dose-response by hours", "hours (0,5]", -0.03, -0.17, 0.11, 32, 812, ne),
			est("ela", "dose-response by hours", "hours (5,10]", 0.06, -0.07, 0.20, 39, 812, ne),
			est("ela", "dose-response by hours", "hours (10,20]", 0.15, 0.01, 0.28, 52, 812, ne),
			est("ela", "dose-response by hours", "hours (20,30]", 0.08, -0.06, 0.23, 47, 812, ne),
			est("ela", "dose-response by hours", "hours >30", 0.24, 0.16, 0.32, 140, 812, ne),
			est("ela", "brightpath vs learnwell in their 3 shared schools", "brightpath rather than learnwell", 0.07, -0.18, 0.32, 32, 40, ok),
			est("math", "tutored vs comparison", "tutored", 0.20, 0.14, 0.26, 362, 806, ne),
			est("math", "provider brightpath", "tutored by brightpath", 0.17, 0.08, 0.26, 166, 525, ne),
			est("math", "provider learnwell", "tutored by learnwell", 0.20, 0.09, 0.31, 104, 329, ne),
			est("math", "provider tutorcorps", "tutored by tutorcorps", 0.29, 0.17, 0.40, 89, 274, ok),
			estWithheld("math", "dose-response by hours", "hours (0,5]", 7, 806),
			est("math", "dose-response by hours", "hours (5,10]", 0.14, 0.00, 0.28, 43, 806, ne),
			est("math", "dose-response by hours", "hours (10,20]", 0.22, 0.11, 0.34, 56, 806, ne),
			est("math", "dose-response by hours", "hours (20,30]", 0.24, 0.12, 0.35, 61, 806, ne),
			est("math", "dose-response by hours", "hours >30", 0.23, 0.15, 0.31, 168, 806, ne),
			sensitivity("math", "tutored vs comparison", "tutored", 0.91),
			sensitivity("ela", "provider brightpath", "tutored by brightpath", -0.7),
		},
	}
}

func costByProvider() *metrics.Table {
	return pad(&metrics.Table{
		Family: "cost", Period: "year", By: []string{"provider"},
		Columns: []string{"provider", "contract", "students_served", "hours_attended", "hours_delivered", "students_meeting_target", "total_cost",
			"cost_per_student_served", "cost_per_hour_attended", "cost_per_student_meeting_target", "cost_per_student_per_0.1_sd_ela", "cost_per_student_per_0.1_sd_math"},
		Rows: []metrics.Row{
			row(305, "brightpath", "1200 per student served", int64(305), 8437.6, 11136.8, int64(21), 366000.0, 1200.0, 43.38, 17428.57, 784.56, 706.32),
			row(193, "learnwell", "45 per hour delivered", int64(193), 7842.7, 10003.2, int64(23), 450142.5, 2332.34, 57.40, 19571.41, nil, 1188.69),
			row(185, "tutorcorps", "87500 in total", int64(185), 6595.4, 8805.2, int64(0), 87500.0, 472.97, 13.27, nil, 168.36, 164.50),
			total(683, nil, nil, int64(683), 22875.7, 29945.2, int64(44), 903642.5, 1323.05, 39.50, 20537.33, nil, nil),
		},
		MinCellSize: 10, NColumn: "students_served",
	})
}

func qualityByProvider() *metrics.Table {
	return pad(&metrics.Table{
		Family: "quality", Period: "year", By: []string{"provider"},
		Columns: []string{"provider", "sessions", "students", "id_match_rate", "sessions_unmatched_id", "rows_read", "rows_rejected"},
		Rows: []metrics.Row{
			row(305, "brightpath", int64(17568), int64(305), 1-114.0/17568, int64(114), int64(17661), int64(12)),
			row(194, "learnwell", int64(11435), int64(194), 1.0, int64(0), int64(11489), int64(8)),
			row(185, "tutorcorps", int64(12077), int64(185), 1.0, int64(0), int64(27252), int64(18)),
			total(684, nil, int64(41080), int64(684), 1-114.0/41080, int64(114), int64(56402), int64(38)),
		},
		MinCellSize: 10, NColumn: "students",
	})
}
