package charts

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// growthBySchool is the growth table cut by school: a row per school and
// group, each group with its own total row. Jefferson's tutored students
// are too few; Adams's are withheld so that they cannot be worked out from
// the total.
func growthBySchool() *metrics.Table {
	cols := []string{"school", "group", "students", "mean_scale_score_gain", "gain_ci_low", "gain_ci_high",
		"mean_percentile_change", "share_at_benchmark_baseline", "share_at_benchmark_outcome"}
	return pad(&metrics.Table{
		Family: "growth", Period: "school year 2025-26", By: []string{"school"}, Within: []string{"group"},
		Columns: cols,
		Rows: []metrics.Row{
			row(60, "101", "tutored", int64(60), 12.4, 9.1, 15.7, 6.0, 0.20, 0.31),
			row(180, "101", "comparison", int64(180), 8.2, 6.5, 9.9, 1.5, 0.24, 0.27),
			withheld(complement, "102", "tutored"),
			row(150, "102", "comparison", int64(150), 7.9, 6.0, 9.8, 1.0, 0.22, 0.24),
			withheld(small, "103", "tutored"),
			row(120, "103", "comparison", int64(120), 6.1, 4.0, 8.2, 0.2, 0.25, 0.25),
			row(53, "104", "tutored", int64(53), 5.9, 2.4, 9.4, 0.5, 0.18, 0.21),
			row(140, "104", "comparison", int64(140), 6.8, 5.1, 8.5, 0.8, 0.26, 0.27),
			total(166, nil, "tutored", int64(166), 10.1, 8.0, 12.2, 3.1, 0.19, 0.26),
			total(590, nil, "comparison", int64(590), 7.3, 6.4, 8.2, 0.9, 0.24, 0.26),
		},
		MinCellSize: 10, NColumn: "students",
		Note: "growth has no period: it compares the year's baseline and outcome tests",
	})
}

// impactShared holds two pairs of providers in shared schools: BrightPath
// and LearnWell in two schools (ELA and math), BrightPath and TutorCorps
// in one (ELA withheld), with an overall row the chart ignores.
func impactShared() *metrics.Table {
	const ok = "satisfied"
	return &metrics.Table{
		Family: "impact", Period: "school year 2025-26",
		Columns: impactCols, Within: []string{"subject", "assessment", "model", "term"}, MinCellSize: 10,
		Rows: []metrics.Row{
			est("ela", "tutored vs comparison", "tutored", 0.15, 0.09, 0.21, 310, 812, ok),
			est("ela", "brightpath vs learnwell in their 2 shared schools", "brightpath rather than learnwell", 0.07, -0.18, 0.32, 32, 40, ok),
			estWithheld("ela", "brightpath vs tutorcorps in their 1 shared school", "brightpath rather than tutorcorps", 8, 12),
			est("math", "brightpath vs learnwell in their 2 shared schools", "brightpath rather than learnwell", 0.12, 0.01, 0.22, 35, 41, ok),
			est("math", "brightpath vs tutorcorps in their 1 shared school", "brightpath rather than tutorcorps", 0.03, -0.20, 0.26, 14, 12, ok),
		},
	}
}

// engagementShared is the engagement table cut by school,provider with
// minutes a week. BrightPath and LearnWell share Lincoln and Adams,
// BrightPath and TutorCorps share Jefferson; TutorCorps's Roosevelt row is
// withheld and in no shared school.
func engagementShared() *metrics.Table {
	return pad(&metrics.Table{
		Family: "engagement", Period: "year", By: []string{"school", "provider"},
		Columns: []string{"school", "provider", "students_served", "attendance_rate", "minutes_per_week"},
		Rows: []metrics.Row{
			row(60, "101", "brightpath", int64(60), 0.71, 80.0),
			row(20, "101", "learnwell", int64(20), 0.90, 100.0),
			row(30, "102", "brightpath", int64(30), 0.80, 95.0),
			row(40, "102", "learnwell", int64(40), 0.85, 110.0),
			row(40, "103", "brightpath", int64(40), 0.80, 90.0),
			row(25, "103", "tutorcorps", int64(25), 0.75, 70.0),
			row(30, "104", "learnwell", int64(30), 0.77, 96.0),
			withheld(small, "104", "tutorcorps"),
			total(250, nil, nil, int64(250), 0.79, 91.0),
		},
		MinCellSize: 10, NColumn: "students_scheduled",
	})
}

func TestGrowthBySchool(t *testing.T) {
	c, err := GrowthBySchool(growthBySchool(), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	// Both figures shown at Lincoln (12.4 > 8.2) and Roosevelt (5.9 < 6.8);
	// Adams and Jefferson have no tutored figure.
	want := "Tutored students gained more than comparison students in 1 of 2 schools with both figures shown; across the district, +10.1 points against +7.3."
	if c.Reading != want {
		t.Errorf("reading\n got %q\nwant %q", c.Reading, want)
	}
	if c.N != "n = 166 tutored and 590 comparison students with both tests" {
		t.Errorf("n: %q", c.N)
	}
	if !slices.Contains(c.Notes, growthNote) {
		t.Errorf("notes %q lack %q", c.Notes, growthNote)
	}
	// Withheld rows are gaps, with no value.
	var gaps []Point
	for _, p := range c.Points {
		if p.Gap != "" {
			gaps = append(gaps, p)
		}
	}
	if len(gaps) != 2 || gaps[0].Category != "Adams" || gaps[0].Series != "tutored" ||
		gaps[1].Category != "Jefferson" || gaps[1].Gap != "withheld: fewer than 10 students" {
		t.Errorf("gaps %+v", gaps)
	}
	// The interval is drawn with the point.
	for _, p := range c.Points {
		if p.Category == "Lincoln" && p.Series == "tutored" && (p.Value != 12.4 || p.Low != 9.1 || p.High != 15.7) {
			t.Errorf("Lincoln tutored %+v", p)
		}
	}
	// A point per school and group, tutored first.
	if len(c.Points) != 8 || c.Points[0].Series != "tutored" || c.Points[1].Series != "comparison" {
		t.Errorf("points %+v", c.Points)
	}
	var svg bytes.Buffer
	if err := c.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg.String(), "withheld: fewer than 10 students") && !strings.Contains(svg.String(), ">withheld<") {
		t.Errorf("the SVG does not mark the withheld slot")
	}
	// Changing a number changes the reading.
	tb := growthBySchool()
	tb.Rows[6].Values[3] = 9.0 // Roosevelt tutored now above comparison
	c, err = GrowthBySchool(tb, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Reading, "Tutored students gained more than comparison students in 2 of 2 schools") {
		t.Errorf("after the change: %q", c.Reading)
	}
}

func TestSharedSchools(t *testing.T) {
	c, err := SharedSchools(impactShared(), engagementShared(), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := "In their 2 shared schools, BrightPath's students grew 0.07 SD more than LearnWell's in ELA [-0.18, +0.32]; " +
		"in their 2 shared schools, BrightPath's students grew 0.12 SD more than LearnWell's in math [+0.01, +0.22]; " +
		"in their 1 shared school, BrightPath's students grew 0.03 SD more than TutorCorps's in math [-0.20, +0.26]."
	if c.Reading != want {
		t.Errorf("reading\n got %q\nwant %q", c.Reading, want)
	}
	// Attendance and minutes in the shared schools only, weighted by
	// students served: BrightPath with LearnWell (Lincoln 60, Adams 30):
	// (60*0.71 + 30*0.80)/90 = 0.74, (60*80 + 30*95)/90 = 85; LearnWell
	// (Lincoln 20, Adams 40): (20*0.90 + 40*0.85)/60 = 0.8667,
	// (20*100 + 40*110)/60 = 106.67; BrightPath with TutorCorps (Jefferson
	// only): 0.80, 90; TutorCorps 0.75, 70.
	type key struct{ panel, cat, series string }
	got := map[key]float64{}
	gaps := map[key]string{}
	for _, p := range c.Points {
		got[key{p.Panel, p.Category, p.Series}] = p.Value
		if p.Gap != "" {
			gaps[key{p.Panel, p.Category, p.Series}] = p.Gap
		}
	}
	bl := "BrightPath\nvs LearnWell\n(2 shared schools)"
	bt := "BrightPath\nvs TutorCorps\n(1 shared school)"
	for k, want := range map[key]float64{
		{"attendance", bl, "BrightPath"}:     0.74,
		{"minutes a week", bl, "BrightPath"}: 85,
		{"attendance", bl, "LearnWell"}:      52.0 / 60,
		{"minutes a week", bl, "LearnWell"}:  6400.0 / 60,
		{"attendance", bt, "BrightPath"}:     0.80,
		{"minutes a week", bt, "TutorCorps"}: 70,
		{"effect", bl, "Math"}:               0.12,
	} {
		if g, ok := got[k]; !ok || g < want-1e-9 || g > want+1e-9 {
			t.Errorf("%v: %v, want %v", k, g, want)
		}
	}
	if g := gaps[key{"effect", bt, "ELA"}]; g != "withheld: fewer than 10 students in a group" {
		t.Errorf("the withheld ELA estimate of BrightPath vs TutorCorps: gap %q (points %+v)", g, c.Points)
	}
	if !slices.ContainsFunc(c.Notes, func(n string) bool { return strings.Contains(n, "weighted by students served") }) {
		t.Errorf("notes %q do not say how the engagement figures are weighted", c.Notes)
	}
	if c.N != "n = 32 BrightPath and 40 LearnWell students (ELA); 35 BrightPath and 41 LearnWell students (math); 14 BrightPath and 12 TutorCorps students (math)" {
		t.Errorf("n: %q", c.N)
	}
	// No shared-school rows: nothing to chart.
	if _, err := SharedSchools(impactTable(), engagementShared(), testOptions); err != nil {
		t.Errorf("impactTable has a shared-schools row: %v", err)
	}
	tb := impactShared()
	tb.Rows = tb.Rows[:1]
	if _, err := SharedSchools(tb, engagementShared(), testOptions); err == nil {
		t.Errorf("no pair rows: want ErrNoFigures")
	}
}
