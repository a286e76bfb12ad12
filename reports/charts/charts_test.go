package charts

import (
	"bytes"
	"errors"
	"flag"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot/cmpimg"
)

var update = flag.Bool("update", false, "rewrite testdata/*_golden.svg and *_golden.png")

// pngTolerance is cmpimg's normalised per-pixel colour distance: enough
// for anti-aliasing to differ across platforms, far too little for a bar,
// a line or a letter to move.
const pngTolerance = 0.05

// goldenCases build every chart from its fixed table. Every chart has an
// SVG golden; png marks the ones that also keep a PNG golden: one of each
// kind of drawing (bars with gaps, lines, estimates, a grid of panels).
// The PNGs are drawn by the same calls as the SVGs, so the SVGs catch a
// changed chart and these catch a changed rasterizer, at 150-250 KB each.
var goldenCases = []struct {
	name  string
	png   bool
	build func() (*Chart, error)
}{
	{"attendance-by-school-provider", true, func() (*Chart, error) {
		return AttendanceBySchoolProvider(engagementBySchoolProvider(), testOptions)
	}},
	{"weekly-attendance-trend", true, func() (*Chart, error) { return WeeklyAttendanceTrend(engagementByWeekProvider(), testOptions) }},
	{"weekly-minutes-trend", false, func() (*Chart, error) { return WeeklyMinutesTrend(engagementByWeekProvider(), testOptions) }},
	{"weekly-minutes-by-provider", false, func() (*Chart, error) { return WeeklyMinutes(engagementByProvider(), 90, testOptions) }},
	{"share-meeting-target-by-school", false, func() (*Chart, error) { return ShareMeetingTargetBySchool(engagementBySchool(), testOptions) }},
	{"coverage-by-school", false, func() (*Chart, error) { return CoverageBySchool(coverageBySchoolSubject(), testOptions) }},
	{"impact-by-provider", true, func() (*Chart, error) { return ImpactForest(impactTable(), testOptions) }},
	{"dose-response", false, func() (*Chart, error) { return DoseResponse(impactTable(), testOptions) }},
	{"cost-by-provider", true, func() (*Chart, error) { return CostPerStudent(costByProvider(), testOptions) }},
	{"quality-by-provider", false, func() (*Chart, error) { return QualityByProvider(qualityByProvider(), testOptions) }},
	{"growth-by-school", false, func() (*Chart, error) { return GrowthBySchool(growthBySchool(), testOptions) }},
	{"providers-in-shared-schools", false, func() (*Chart, error) {
		return SharedSchools(impactShared(), engagementShared(), testOptions)
	}},
}

// Every chart's SVG matches its golden byte for byte and its PNG matches
// within a small tolerance. go test ./reports/charts -update rewrites
// them; look at the PNGs before committing.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tc.name {
				t.Errorf("chart name %q, want %q", c.Name, tc.name)
			}
			type output struct {
				ext string
				got []byte
			}
			var svg bytes.Buffer
			if err := c.WriteSVG(&svg); err != nil {
				t.Fatal(err)
			}
			outputs := []output{{"svg", svg.Bytes()}}
			if tc.png {
				var pngBuf bytes.Buffer
				if err := c.WritePNG(&pngBuf); err != nil {
					t.Fatal(err)
				}
				outputs = append(outputs, output{"png", pngBuf.Bytes()})
			}
			for _, f := range outputs {
				golden := filepath.Join("testdata", tc.name+"_golden."+f.ext)
				if *update {
					if err := os.MkdirAll("testdata", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, f.got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./reports/charts -update to create it)", err)
				}
				same, err := cmpimg.EqualApprox(f.ext, f.got, want, pngTolerance)
				if err != nil {
					t.Fatalf("compare %s: %v", golden, err)
				}
				if !same {
					// Kept only with go test -artifacts (a temporary folder otherwise).
					got := filepath.Join(t.ArtifactDir(), tc.name+"."+f.ext)
					_ = os.WriteFile(got, f.got, 0o644)
					t.Errorf("%s differs from %s: to look at it, rerun with -artifacts (it is written to %s); "+
						"if the change is meant, rerun with -update", f.ext, golden, got)
				}
			}
		})
	}
}

// The same table gives the same bytes, PNG and SVG.
func TestDeterministic(t *testing.T) {
	for _, tc := range goldenCases[:3] {
		var out [2][2]bytes.Buffer
		for i := range out {
			c, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WriteSVG(&out[i][0]); err != nil {
				t.Fatal(err)
			}
			if err := c.WritePNG(&out[i][1]); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out[0][0].Bytes(), out[1][0].Bytes()) || !bytes.Equal(out[0][1].Bytes(), out[1][1].Bytes()) {
			t.Errorf("%s: two renderings differ", tc.name)
		}
	}
}

// A withheld row is a marked gap: no bar (not one of length zero), a
// "withheld" label where the bar would be, and a note saying how many and
// why; the reading does not name it.
func TestWithheldIsAGap(t *testing.T) {
	c, err := AttendanceBySchoolProvider(engagementBySchoolProvider(), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	var tutorCorps []Point
	for _, p := range c.Points {
		if p.Series == "TutorCorps" {
			tutorCorps = append(tutorCorps, p)
		}
	}
	if len(tutorCorps) != 2 {
		t.Fatalf("TutorCorps points: %+v, want the two withheld slots", tutorCorps)
	}
	for _, p := range tutorCorps {
		if p.Gap == "" || p.Value != 0 {
			t.Errorf("withheld point %+v: want a gap and no value", p)
		}
	}
	if got := tutorCorps[0]; got.Category != "Jefferson" || got.Gap != "withheld: fewer than 10 students" {
		t.Errorf("first withheld point %+v", got)
	}
	if got := tutorCorps[1].Gap; got != "withheld (protects a smaller group)" {
		t.Errorf("complementary withholding drawn as %q", got)
	}

	// Drawn: TutorCorps's colour is filled once, for its legend swatch;
	// a zero-length bar would add a fill of its own.
	var svg bytes.Buffer
	if err := c.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	tc := "fill:" + hex(testOptions.Colors["tutorcorps"])
	if n := strings.Count(svg.String(), tc); n != 1 {
		t.Errorf("%s appears %d times in the SVG, want 1 (the legend): a withheld row was drawn as a bar", tc, n)
	}
	if n := strings.Count(svg.String(), "withheld: fewer than 10 students"); n != 1 {
		t.Errorf("the gap's label appears %d times, want 1", n)
	}
	bp := "fill:" + hex(testOptions.Colors["brightpath"])
	if n := strings.Count(svg.String(), bp); n != 3 {
		t.Errorf("%s appears %d times, want 3 (two bars and the legend)", bp, n)
	}

	wantNotes := []string{
		"Withheld: 1 group with fewer than 10 students",
		"Withheld: 1 group so that a smaller group's figures cannot be worked out from the total",
	}
	if !slices.Equal(c.Notes, wantNotes) {
		t.Errorf("notes %q, want %q", c.Notes, wantNotes)
	}
	if strings.Contains(c.Reading, "TutorCorps") {
		t.Errorf("the reading names a withheld group: %s", c.Reading)
	}
	// The numbers behind the chart keep the withheld rows, figures empty.
	for _, r := range c.Data.Rows {
		if r.Suppressed != "" && slices.ContainsFunc(r.Values[2:], func(v any) bool { return v != nil }) {
			t.Errorf("withheld row with figures in Data: %v", r.Values)
		}
	}
}

// Other charts draw their withheld rows as gaps too.
func TestEveryChartMarksItsGaps(t *testing.T) {
	for _, tc := range goldenCases {
		c, err := tc.build()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Points {
			if p.Gap != "" && (p.Value != 0 || p.Low != 0 || p.High != 0) {
				t.Errorf("%s: gap with a value: %+v", tc.name, p)
			}
		}
		withheldRows := 0
		for _, r := range c.Data.Rows {
			if r.Suppressed != "" && !r.Total {
				withheldRows++
			}
		}
		gaps := 0
		for _, p := range c.Points {
			if strings.HasPrefix(p.Gap, "withheld") {
				gaps++
			}
		}
		if gaps != withheldRows {
			t.Errorf("%s: %d withheld rows, %d withheld gaps drawn", tc.name, withheldRows, gaps)
		}
		if withheldRows > 0 && !slices.ContainsFunc(c.Notes, func(n string) bool { return strings.HasPrefix(n, "Withheld: ") }) {
			t.Errorf("%s: withheld rows but no note: %q", tc.name, c.Notes)
		}
	}
}

// The reading is worked out from the table's numbers: checked by hand
// against the fixture, then again after changing one number.
func TestReadingFromNumbers(t *testing.T) {
	tb := engagementBySchoolProvider()
	c, err := AttendanceBySchoolProvider(tb, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	// Lincoln/BrightPath 0.71 is the lowest shown, Adams/LearnWell 0.88 the
	// highest, the total row 0.79; n is the total row's 190.
	want := "Attendance ranged from 71% at Lincoln (BrightPath) to 88% at Adams (LearnWell); 79% across all schools and providers."
	if c.Reading != want {
		t.Errorf("reading\n got %q\nwant %q", c.Reading, want)
	}
	if c.N != "n = 190 students served" {
		t.Errorf("n: %q", c.N)
	}
	tb.Rows[4].Values[6] = 0.645 // Roosevelt/LearnWell becomes the lowest
	c, err = AttendanceBySchoolProvider(tb, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Attendance ranged from 65% at Roosevelt (LearnWell) to 88% at Adams (LearnWell)"; !strings.HasPrefix(c.Reading, want) {
		t.Errorf("after the change: %q, want it to start %q", c.Reading, want)
	}

	for _, tc := range []struct {
		name string
		c    func() (*Chart, error)
		want string
	}{
		{"trend", func() (*Chart, error) { return WeeklyAttendanceTrend(engagementByWeekProvider(), testOptions) },
			// last week Oct 27; four weeks before, Sep 29: BrightPath 83% -> 71%
			// moves more than LearnWell 81% -> 83%.
			"Attendance at BrightPath moved most over the last four weeks: it fell from 83% to 71% (weeks of Sep 29 to Oct 27)."},
		{"minutes", func() (*Chart, error) { return WeeklyMinutes(engagementByProvider(), 90, testOptions) },
			"The median student served got from 78 minutes a week (BrightPath) to 109 (LearnWell), against a target of 90."},
		{"target", func() (*Chart, error) { return ShareMeetingTargetBySchool(engagementBySchool(), testOptions) },
			// 1/53 = 1.9% -> 2%; 7/60 = 11.7% -> 12%; 12/166 = 7.2% -> 7%
			"The share of students served who met the dosage target ranged from 2% at Roosevelt to 12% at Lincoln; 7% across the district."},
		{"coverage", func() (*Chart, error) { return CoverageBySchool(coverageBySchoolSubject(), testOptions) },
			// 12/56 = 21% is the lowest, 33/55 = 60% the highest, 130/330 = 39%
			"Coverage of eligible students ranged from 21% (Adams, ELA) to 60% (Jefferson, math); 39% across the district."},
		{"forest", func() (*Chart, error) { return ImpactForest(impactTable(), testOptions) },
			"In ELA, tutored students scored 0.15 SD higher than matched untutored students (95% interval +0.09 to +0.21; 310 tutored, 812 compared), and the groups started 0.08 SD apart, close enough to compare once starting scores are adjusted for; in math, 0.20 SD higher (+0.14 to +0.26; 362 tutored, 806 compared), and the groups started 0.08 SD apart, close enough to compare once starting scores are adjusted for; by provider, from +0.05 (LearnWell, ELA) to +0.29 (TutorCorps, math)."},
		{"dose", func() (*Chart, error) { return DoseResponse(impactTable(), testOptions) },
			"In ELA, the adjusted effect went from -0.03 SD (up to 5 hours) to +0.24 SD (over 30 hours); in math, from +0.14 SD (5–10 hours) to +0.23 SD (over 30 hours)."},
		{"cost", func() (*Chart, error) { return CostPerStudent(costByProvider(), testOptions) },
			"Cost per student served ranged from $473 (TutorCorps) to $2,332 (LearnWell); $1,323 across all providers."},
		{"quality", func() (*Chart, error) { return QualityByProvider(qualityByProvider(), testOptions) },
			"The id match rate was lowest for BrightPath (99.4%, 114 sessions unmatched) and highest for LearnWell (100%); 38 file rows were rejected, most from TutorCorps (18)."},
	} {
		c, err := tc.c()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Reading != tc.want {
			t.Errorf("%s reading\n got %q\nwant %q", tc.name, c.Reading, tc.want)
		}
	}
}

// A provider keeps its colour whatever order or company it comes in.
func TestPaletteStable(t *testing.T) {
	a := Palette([]string{"tutorcorps", "learnwell", "brightpath"})
	b := Palette([]string{"brightpath", "", "tutorcorps", "learnwell", "brightpath"})
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("palettes of %d and %d colours, want 3", len(a), len(b))
	}
	for id, c := range a {
		if hex(b[id]) != hex(c) {
			t.Errorf("%s: %s in one order, %s in another", id, hex(c), hex(b[id]))
		}
	}
	// Sorted ids take the Okabe-Ito colours in order.
	for id, want := range map[string]string{"brightpath": "#0072B2", "learnwell": "#E69F00", "tutorcorps": "#009E73"} {
		if got := hex(a[id]); got != want {
			t.Errorf("%s is %s, want %s", id, got, want)
		}
	}
	// Distinct for up to seven providers.
	seven := Palette([]string{"a", "b", "c", "d", "e", "f", "g"})
	seen := map[string]bool{}
	for _, c := range seven {
		seen[hex(c)] = true
	}
	if len(seen) != 7 {
		t.Errorf("seven providers share colours: %v", seen)
	}
	// Every chart colours a provider from the palette it is given: the
	// same SVG fill for BrightPath in the attendance and the cost charts.
	fill := "fill:" + hex(testOptions.Colors["brightpath"])
	for _, tc := range []int{0, 8} {
		c, err := goldenCases[tc].build()
		if err != nil {
			t.Fatal(err)
		}
		var svg bytes.Buffer
		if err := c.WriteSVG(&svg); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(svg.String(), fill) {
			t.Errorf("%s does not draw BrightPath in %s", goldenCases[tc].name, fill)
		}
	}
}

// Tables that cannot make the chart fail with an error that says why.
func TestInvalidTables(t *testing.T) {
	missing := engagementBySchoolProvider()
	missing.Columns[6] = "attendance"
	extraCut := engagementByProvider()
	extraCut.Columns = append([]string{"school"}, extraCut.Columns...)
	for i := range extraCut.Rows {
		extraCut.Rows[i].Values = append([]any{"101"}, extraCut.Rows[i].Values...)
	}
	ragged := qualityByProvider()
	ragged.Rows[1].Values = ragged.Rows[1].Values[:3]
	noTarget := engagementBySchool()
	for i := range noTarget.Rows {
		if noTarget.Rows[i].Suppressed == "" {
			noTarget.Rows[i].Values[3] = nil
		}
	}
	noTarget.Rows = slices.DeleteFunc(noTarget.Rows, func(r metrics.Row) bool { return r.Suppressed != "" })
	empty := costByProvider()
	empty.Rows = nil
	unknownProvider := engagementBySchoolProvider()
	unknownProvider.Rows[0].Values[1] = "newco"

	for _, tc := range []struct {
		name  string
		build func() (*Chart, error)
		want  string
		is    error
	}{
		{"missing column", func() (*Chart, error) { return AttendanceBySchoolProvider(missing, testOptions) },
			`attendance by school and provider: the engagement table has no column "attendance_rate"`, nil},
		{"missing cut", func() (*Chart, error) { return AttendanceBySchoolProvider(engagementBySchool(), testOptions) },
			"--family engagement --by school,provider", nil},
		{"extra cut", func() (*Chart, error) { return WeeklyMinutes(extraCut, 90, testOptions) },
			"the engagement table is also cut by school; the chart needs --by provider only", nil},
		{"wrong family", func() (*Chart, error) { return CostPerStudent(qualityByProvider(), testOptions) },
			"cost by provider: needs the cost table, got the quality table", nil},
		{"ragged row", func() (*Chart, error) { return QualityByProvider(ragged, testOptions) },
			"row 2 of the quality table has 3 values for 7 columns", nil},
		{"no target", func() (*Chart, error) { return ShareMeetingTargetBySchool(noTarget, testOptions) },
			"is a dosage_target set in the config?", ErrNoFigures},
		{"no rows", func() (*Chart, error) { return CostPerStudent(empty, testOptions) }, "has no rows", ErrNoFigures},
		{"no dose rows", func() (*Chart, error) {
			tb := impactTable()
			tb.Rows = slices.DeleteFunc(tb.Rows, func(r metrics.Row) bool {
				return r.Values[slices.Index(impactCols, "model")] == "dose-response by hours"
			})
			return DoseResponse(tb, testOptions)
		}, `no "dose-response by hours" rows`, ErrNoFigures},
		{"bad target", func() (*Chart, error) { return WeeklyMinutes(engagementByProvider(), -5, testOptions) }, "the target must be", nil},
		{"provider without colour", func() (*Chart, error) { return AttendanceBySchoolProvider(unknownProvider, testOptions) },
			`no colour for provider "newco"`, nil},
		{"nil table", func() (*Chart, error) { return ImpactForest(nil, testOptions) }, "no impact table", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.build()
			if err == nil {
				t.Fatalf("no error; chart %q", c.Title)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
	var ce *ColumnError
	if _, err := AttendanceBySchoolProvider(missing, testOptions); !errors.As(err, &ce) || !slices.Equal(ce.Missing, []string{"attendance_rate"}) {
		t.Errorf("missing column: %v, want a *ColumnError for attendance_rate", err)
	}
}

// Without Options.Colors the table's own providers are coloured.
func TestDefaultColors(t *testing.T) {
	o := testOptions
	o.Colors = nil
	c, err := QualityByProvider(qualityByProvider(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Panels) != 2 {
		t.Errorf("%d panels, want 2", len(c.Panels))
	}
}

// Save writes a 1920x1080 PNG and an SVG, and refuses a name that is a path.
func TestSave(t *testing.T) {
	c, err := QualityByProvider(qualityByProvider(), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := c.Save(dir, "quality"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "quality.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1920 || cfg.Height != 1080 {
		t.Errorf("PNG is %dx%d, want 1920x1080", cfg.Width, cfg.Height)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "quality.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(`viewBox="0 0 1440 810"`)) {
		t.Errorf("SVG is not 1440x810 points: %.200s", svg)
	}
	for _, bad := range []string{"", "a/b", `a\b`, ".."} {
		if err := c.Save(dir, bad); err == nil {
			t.Errorf("Save(%q) did not fail", bad)
		}
	}
}

// Type is large enough to read from the back of a room: the title at 28 pt
// or more, everything else at 20 pt or more.
func TestTypeSizes(t *testing.T) {
	size := regexp.MustCompile(`font-size:([0-9.]+)px`)
	for _, tc := range goldenCases {
		c, err := tc.build()
		if err != nil {
			t.Fatal(err)
		}
		var svg bytes.Buffer
		if err := c.WriteSVG(&svg); err != nil {
			t.Fatal(err)
		}
		largest := 0.0
		for _, m := range size.FindAllStringSubmatch(svg.String(), -1) {
			pt, _ := strconv.ParseFloat(m[1], 64)
			if pt < 20 {
				t.Errorf("%s: text at %v pt", tc.name, pt)
			}
			largest = max(largest, pt)
		}
		if largest < 28 {
			t.Errorf("%s: the title is %v pt, want 28 or more", tc.name, largest)
		}
	}
}

// Numbers are written as people read them.
func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{pct(0.7649), "76%"}, {pct(0.996), "99.6%"}, {pct(0.9999), "99.9%"}, {pct(1), "100%"}, {pct(0.004), "0.4%"}, {pct(0), "0%"},
		{count(2574), "2,574"}, {count(1234567), "1,234,567"}, {count(12), "12"},
		{money("$", 1200), "$1,200"}, {money("$", 43.376), "$43.38"},
		{sd(0.19), "+0.19"}, {sd(-0.008), "-0.01"}, {sd(0.001), "0.00"},
		{bandLabel("hours (0,5]"), "up to 5"}, {bandLabel("hours (10,20]"), "10–20"}, {bandLabel("hours >30"), "over 30"},
		{sdTick(0.30000000000000004), "0.3"}, {sdTick(-0.1), "-0.1"},
		{reasonPhrase("fewer than 10 students"), "with fewer than 10 students"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if got := niceTicks(0, 0.4, 4); !slices.Equal(got, []float64{0, 0.1, 0.2, 0.3, 0.4}) {
		t.Errorf("niceTicks: %v", got)
	}
}

func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return "#" + strings.ToUpper(strconv.FormatUint(uint64(0x1000000|(r>>8)<<16|(g>>8)<<8|b>>8), 16)[1:])
}

// In a school's or a provider's packet the total row is the district's: the
// n line counts the rows shown and names the district's n as the district's,
// and the quality sentence counts the provider's own rejected rows.
func TestScopedChartsCountTheirOwnRows(t *testing.T) {
	t.Parallel()
	only := func(tb *metrics.Table, id string) *metrics.Table {
		out := *tb
		out.Rows = nil
		for _, r := range tb.Rows {
			if r.Total || r.Values[0] == id {
				out.Rows = append(out.Rows, r)
			}
		}
		return &out
	}
	o := testOptions
	o.Scope = "Lincoln Elementary"
	c, err := ShareMeetingTargetBySchool(only(engagementBySchool(), "102"), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "n = 46 students served in the groups shown (the district: 166)"; c.N != want {
		t.Errorf("school's n line %q, want %q", c.N, want)
	}
	o.Scope = "LearnWell"
	q, err := QualityByProvider(only(qualityByProvider(), "learnwell"), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "n = 194 students in the groups shown (the district: 684)"; q.N != want {
		t.Errorf("provider's n line %q, want %q", q.N, want)
	}
	if !strings.Contains(q.Reading, "8 file rows were rejected") || strings.Contains(q.Reading, "38") {
		t.Errorf("provider's reading counts the district's rejects: %q", q.Reading)
	}
	// One school, one provider: the sentences name them, not "every school
	// shown" or a range "by provider" from a provider to itself.
	o.Scope = "school 102"
	c, err = ShareMeetingTargetBySchool(only(engagementBySchool(), "102"), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "7% of students served met the dosage target at " + label(o.Schools, "102"); !strings.HasPrefix(c.Reading, want) {
		t.Errorf("one school's reading %q, want it to start %q", c.Reading, want)
	}
	imp := impactTable()
	mi := slices.Index(imp.Columns, "model")
	kept := imp.Rows[:0:0]
	for _, r := range imp.Rows {
		if m := r.Values[mi].(string); !strings.HasPrefix(m, "provider ") || m == "provider learnwell" {
			kept = append(kept, r)
		}
	}
	imp.Rows = kept
	o.Scope = "LearnWell"
	f, err := ImpactForest(imp, o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.Reading, "by provider") {
		t.Errorf("one provider's impact reading gives a range by provider: %q", f.Reading)
	}
}

// The impact pages give the observational caveat once: the table's copy of
// it goes, whatever else the table's note says stays.
func TestImpactTableNoteDropsTheCaveatOnly(t *testing.T) {
	t.Parallel()
	caveat := impactTable().Note
	for note, want := range map[string]string{
		caveat: "",
		caveat + " The cut by school does not apply to impact.": "The cut by school does not apply to impact.",
		"Some other note.": "Some other note.",
	} {
		if got := withoutCaveat(note); got != want {
			t.Errorf("withoutCaveat(%q) = %q, want %q", note, got, want)
		}
	}
}
