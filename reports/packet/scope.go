package packet

import (
	"fmt"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/reports/charts"
)

// chartSpec is one chart of the packet: how to build it for an audience,
// or why it is not in the audience's packet.
type chartSpec struct {
	name, title string
	build       func(ts *Tables, a Audience) (c *charts.Chart, skip string, err error)
}

// The impact table's model names (pipeline/metrics/impact.go).
const (
	modelOverall  = "tutored vs comparison"
	modelDose     = "dose-response by hours"
	modelProvider = "provider "
)

// chartSpecs are the packet's charts, in the order of the packet. Each
// title is the chart's own (a test holds them equal), so a chart left out
// of a packet is named as it is on the pages of another.
var chartSpecs = []chartSpec{
	{"attendance-by-school-provider", "Attendance by school and provider", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		t := scoped(ts.get("engagement", "school", "provider"), a)
		return note(charts.AttendanceBySchoolProvider(t, ts.options(a)))(a)
	}},
	{"weekly-attendance-trend", "Attendance week by week, by provider", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		return note(charts.WeeklyAttendanceTrend(weekly(ts, a), ts.options(a)))(a)
	}},
	{"weekly-minutes-trend", "Minutes of tutoring per student, week by week", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		return note(charts.WeeklyMinutesTrend(weekly(ts, a), ts.options(a)))(a)
	}},
	{"weekly-minutes-by-provider", "Minutes of tutoring a week, by provider", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		t := ts.get("engagement", "provider")
		if a.Kind == "school" {
			t = dropColumn(scoped(ts.get("engagement", "school", "provider"), a), "school")
		} else {
			t = scoped(t, a)
		}
		return note(charts.WeeklyMinutes(t, ts.Target, ts.options(a)))(a)
	}},
	{"share-meeting-target-by-school", "Students getting the full dosage, by school", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		t := ts.get("engagement", "school")
		if a.Kind == "provider" {
			t = dropColumn(scoped(ts.get("engagement", "school", "provider"), a), "provider")
		} else {
			t = scoped(t, a)
		}
		return note(charts.ShareMeetingTargetBySchool(t, ts.options(a)))(a)
	}},
	{"coverage-by-school", "Eligible students reached, by school", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		if a.Kind == "provider" {
			return nil, "coverage is about the district's eligible students, not one provider's; it is in the district packet", nil
		}
		return note(charts.CoverageBySchool(scoped(ts.get("coverage", "school", "subject"), a), ts.options(a)))(a)
	}},
	{"growth-by-school", "Growth of tutored and comparison students, by school", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		if a.Kind == "provider" {
			return nil, "growth by school compares all tutored students with comparison students, not one provider's; it is in the district packet", nil
		}
		return note(charts.GrowthBySchool(scoped(ts.get("growth", "school"), a), ts.options(a)))(a)
	}},
	{"impact-by-provider", "Tutored students against matched untutored students", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		if a.Kind == "school" {
			return nil, "impact is estimated for the district as a whole, not school by school; it is in the district packet", nil
		}
		return note(charts.ImpactForest(impactFor(ts.get("impact"), a), ts.options(a)))(a)
	}},
	{"dose-response", "Effect by hours of tutoring attended", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		switch a.Kind {
		case "school":
			return nil, "impact is estimated for the district as a whole, not school by school; it is in the district packet", nil
		case "provider":
			return nil, "the dose-response is estimated over every provider's students together, not one provider's; it is in the district packet", nil
		}
		return note(charts.DoseResponse(impactFor(ts.get("impact"), a), ts.options(a)))(a)
	}},
	{"providers-in-shared-schools", "Providers in the schools they share: effect, attendance and minutes", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		// It names two providers side by side: the district's packet only.
		if a.Kind != "district" {
			return nil, "it compares providers by name; it is in the district packet", nil
		}
		return note(charts.SharedSchools(ts.get("impact"), ts.get("engagement", "school", "provider"), ts.options(a)))(a)
	}},
	{"cost-by-provider", "What the contracts buy, by provider", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		if a.Kind == "school" {
			return nil, "the contracts' cost is not split by school; it is in the district packet", nil
		}
		return note(charts.CostPerStudent(scoped(ts.get("cost", "provider"), a), ts.options(a)))(a)
	}},
	{"quality-by-provider", "Can the figures be trusted? Data quality by provider", func(ts *Tables, a Audience) (*charts.Chart, string, error) {
		t := ts.get("quality", "provider")
		if a.Kind == "school" {
			t = dropColumn(scoped(ts.get("quality", "school", "provider"), a), "school")
		} else {
			t = scoped(t, a)
		}
		return note(charts.QualityByProvider(t, ts.options(a)))(a)
	}},
}

// options are the charts' options for an audience: in a school's or a
// provider's packet, the total rows are the district's (see scoped).
func (ts *Tables) options(a Audience) charts.Options {
	o := ts.Options
	if a.Kind != "district" {
		o.Scope = a.Name
	}
	return o
}

// weekly is the week-by-provider table the audience sees.
func weekly(ts *Tables, a Audience) *metrics.Table {
	if a.Kind == "school" {
		return dropColumn(scoped(ts.get("engagement", "school", "week", "provider"), a), "school")
	}
	return scoped(ts.get("engagement", "week", "provider"), a)
}

// note adds, for a school's or a provider's packet, what the figures are:
// the audience's own, with the district's totals beside them.
func note(c *charts.Chart, err error) func(a Audience) (*charts.Chart, string, error) {
	return func(a Audience) (*charts.Chart, string, error) {
		if err != nil {
			return nil, "", err
		}
		if a.Kind != "district" {
			c.Notes = append(c.Notes, fmt.Sprintf("Figures for %s only; totals and reference lines are the district's", a.Name))
		}
		return c, "", nil
	}
}

// scoped keeps the rows an audience may see: for a school, that school's
// rows; for a provider, that provider's rows; and the total row, the
// district's, for both. A table without the audience's column is kept
// whole.
func scoped(t *metrics.Table, a Audience) *metrics.Table {
	if t == nil || a.Kind == "district" {
		return t
	}
	j := column(t, a.Kind)
	if j < 0 {
		return t
	}
	return filter(t, func(r metrics.Row) bool {
		return r.Total || fmt.Sprint(r.Values[j]) == a.ID
	})
}

// impactFor keeps the impact rows an audience may see: a provider sees
// its own estimates only, never the district's (which a provider's packet
// would otherwise headline), another provider's, nor the comparisons of
// providers in shared schools.
func impactFor(t *metrics.Table, a Audience) *metrics.Table {
	if t == nil || a.Kind != "provider" {
		return t
	}
	j := column(t, "model")
	if j < 0 {
		return t
	}
	return filter(t, func(r metrics.Row) bool {
		m, _ := r.Values[j].(string)
		return m == modelProvider+a.ID
	})
}

func column(t *metrics.Table, name string) int {
	for j, c := range t.Columns {
		if c == name {
			return j
		}
	}
	return -1
}

// filter copies t with the rows keep keeps.
func filter(t *metrics.Table, keep func(metrics.Row) bool) *metrics.Table {
	out := *t
	out.Rows = nil
	for _, r := range t.Rows {
		if keep(r) {
			out.Rows = append(out.Rows, r)
		}
	}
	return &out
}

// dropColumn copies t without a dimension column: a school's rows of a
// table cut by school are that school's cut by the other dimensions.
func dropColumn(t *metrics.Table, name string) *metrics.Table {
	if t == nil {
		return nil
	}
	j := column(t, name)
	if j < 0 {
		return t
	}
	out := *t
	out.Columns = append(append([]string(nil), t.Columns[:j]...), t.Columns[j+1:]...)
	out.By = nil
	for _, b := range t.By {
		if b != name {
			out.By = append(out.By, b)
		}
	}
	out.Rows = make([]metrics.Row, len(t.Rows))
	for i, r := range t.Rows {
		r.Values = append(append([]any(nil), r.Values[:j]...), r.Values[j+1:]...)
		out.Rows[i] = r
	}
	return &out
}
