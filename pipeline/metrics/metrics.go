package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/queries"
	"github.com/hitreflect/hitreflect/values"
)

// Family is one group of metrics: its query, and the column holding the
// number of students each row rests on.
type Family struct {
	Name    string
	Query   string
	NColumn string
	// AlsoN are further counts of students some of the row's figures rest
	// on: a row's n is the smallest of them that is not zero.
	AlsoN []string
	Title string
	// Within are columns that split every row whatever the grouping (the
	// tutored and comparison groups of growth).
	Within []string
	// compute builds the table in Go, for families derived from others.
	compute func(r *Runner, ctx context.Context, opt Options) (*Table, error)
}

// Families lists the metric families in the order reports show them.
var Families = []Family{
	engagementFamily,
	{Name: "coverage", Query: "coverage", NColumn: "students", Title: "Targeting and coverage: reaching the students who need it"},
	{Name: "growth", Query: "growth", NColumn: "students", Title: "Growth of tutored and comparison students (descriptive, not causal)", Within: []string{"group"}},
	{Name: "cost", NColumn: "students_served", Title: "Cost: what the contracts buy", compute: (*Runner).cost},
	{Name: "impact", Title: "Impact: tutored students' growth against matched untutored students (observational, not causal)", compute: (*Runner).impactTable},
	{Name: "quality", Query: "quality", NColumn: "students", Title: "Data quality: can the figures be trusted?"},
}

// FamilyByName finds a family.
func FamilyByName(name string) (Family, bool) {
	for _, f := range Families {
		if f.Name == name {
			return f, true
		}
	}
	return Family{}, false
}

// Options choose the period and the grouping.
type Options struct {
	Period string   // a period of the config, "year" (default) or "ytd"
	By     []string // dimensions, from queries.Dimensions
	// unwithheld keeps small cells, for families that compute from another
	// before withholding their own (cost's totals).
	unwithheld bool
}

// Table is a metric family's result: one row per group, then a total row.
type Table struct {
	Family      string    `json:"family"`
	Title       string    `json:"title"`
	Period      string    `json:"period"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	By          []string  `json:"by"`
	Columns     []string  `json:"columns"`
	Rows        []Row     `json:"rows"`
	MinCellSize int       `json:"min_cell_size"`
	// NColumn names the figure each row's n is (empty: rows are not about students).
	NColumn string `json:"n_column,omitempty"`
	// Within are the columns that split rows whatever the grouping.
	Within []string `json:"within,omitempty"`
	// Note says what a reader should know about the whole table.
	Note string `json:"note,omitempty"`
}

// ignoredCuts says which of the asked cuts a query family cannot make:
// coverage and growth rest on students, not sessions, so they have no
// period, month or week; growth rests on the year's tests, so it has no
// period either.
func ignoredCuts(family string, opt Options) string {
	var ignored []string
	switch family {
	case "coverage", "growth":
		for _, d := range opt.By {
			if d == "period" || d == "month" || d == "week" {
				ignored = append(ignored, d)
			}
		}
	}
	if family == "quality" && opt.Period != "" && opt.Period != "year" {
		ignored = append(ignored, "--period for the file counts (files are counted for all time)")
	}
	if family == "growth" && opt.Period != "" && opt.Period != "year" {
		// growth's rows are the year's, whatever the period
		ignored = append(ignored, "--period "+opt.Period+" (growth compares the year's baseline and outcome tests)")
	}
	return cutNote(family, "the dimensions of the students and their tests", ignored)
}

// cutNote explains cuts a family cannot make.
func cutNote(family, can string, ignored []string) string {
	if len(ignored) == 0 {
		return ""
	}
	return fmt.Sprintf("%s is cut by %s only; %s does not apply", family, can, strings.Join(ignored, ", "))
}

// IsDimension says whether a column names a group rather than a figure.
func (t *Table) IsDimension(c string) bool {
	return contains(queries.Dimensions, c) || contains(t.Within, c)
}

// Row is one group's figures. Withheld figures are nil, with the reason; a
// withheld row's n is not shown either (it is itself a small count).
type Row struct {
	Values     []any
	N          int64
	Total      bool
	Suppressed string
}

// MarshalJSON writes a row with n null when withheld.
func (r Row) MarshalJSON() ([]byte, error) {
	out := struct {
		Values     []any  `json:"values"`
		N          *int64 `json:"n"`
		Total      bool   `json:"total,omitempty"`
		Suppressed string `json:"suppressed,omitempty"`
	}{Values: r.Values, Total: r.Total, Suppressed: r.Suppressed}
	if r.Suppressed == "" {
		out.N = &r.N
	}
	return json.Marshal(out)
}

// Run computes one family.
func (r *Runner) Run(ctx context.Context, family string, opt Options) (*Table, error) {
	f, ok := FamilyByName(family)
	if !ok {
		return nil, &UsageError{fmt.Sprintf("no metric family %q (families: %s)", family, strings.Join(familyNames(), ", "))}
	}
	return r.runFamily(ctx, f, opt)
}

// UsageError is a request metrics cannot answer as asked (an unknown family,
// period or dimension), as opposed to a failure while computing.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// engagementFamily is engagement's entry, for the families derived from it.
var engagementFamily = Family{Name: "engagement", Query: "engagement", NColumn: "students_scheduled", AlsoN: []string{"students_served"}, Title: "Engagement: dosage and attendance"}

func (r *Runner) runFamily(ctx context.Context, f Family, opt Options) (*Table, error) {
	for _, d := range opt.By {
		if !contains(queries.Dimensions, d) {
			return nil, &UsageError{fmt.Sprintf("cannot cut by %q (dimensions: %s)", d, strings.Join(queries.Dimensions, ", "))}
		}
	}
	if f.compute != nil {
		t, err := f.compute(r, ctx, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		t.Family, t.Title, t.NColumn = f.Name, f.Title, f.NColumn
		return r.finish(t, f), nil
	}
	from, to, name, err := r.period(opt.Period)
	if err != nil {
		return nil, err
	}
	t := &Table{Family: f.Name, Title: f.Title, NColumn: f.NColumn, Period: name, From: from, To: to, By: opt.By, MinCellSize: r.cfg.Privacy.MinCellSize}
	rows, cols, err := r.query(ctx, f.Query, from, to, opt.By)
	t.Within = f.Within
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	t.Columns = cols
	t.Rows = rows
	t.Note = ignoredCuts(f.Name, opt)
	if f.Name == "growth" {
		t.Period = "school year " + r.schoolYear(from)
		t.From, t.To = r.yearBounds()
	}
	if len(opt.By) > 0 {
		total, _, err := r.query(ctx, f.Query, from, to, nil)
		if err != nil {
			return nil, fmt.Errorf("%s total: %w", f.Name, err)
		}
		for i := range total {
			total[i].Total = true
		}
		t.Rows = append(t.Rows, total...)
	}
	if f.NColumn != "" && indexOf(cols, f.NColumn) < 0 {
		return nil, fmt.Errorf("%s: the query has no column %s", f.Name, f.NColumn)
	}
	if opt.unwithheld {
		f.NColumn = ""
	}
	return r.finish(t, f), nil
}

// finish sets each row's n, withholds small cells and drops the dimensions
// nobody asked for.
func (r *Runner) finish(t *Table, f Family) *Table {
	if nCol := indexOf(t.Columns, f.NColumn); nCol >= 0 {
		for i := range t.Rows {
			n := asInt(t.Rows[i].Values[nCol])
			for _, c := range f.AlsoN {
				if j := indexOf(t.Columns, c); j >= 0 {
					if m := asInt(t.Rows[i].Values[j]); m > 0 && m < n {
						n = m
					}
				}
			}
			t.Rows[i].N = n
		}
		suppress(t, r.cfg.Privacy.MinCellSize)
	}
	t.keepAskedDimensions()
	return t
}

// query runs a family's SQL with the period, grouping and thresholds.
func (r *Runner) query(ctx context.Context, name string, from, to time.Time, by []string) ([]Row, []string, error) {
	key := name + "|" + from.Format(time.DateOnly) + "|" + to.Format(time.DateOnly) + "|" + strings.Join(by, ",")
	if res, ok := r.results[key]; ok {
		return copyRows(res.rows), res.cols, nil
	}
	rows, cols, err := r.runQuery(ctx, name, from, to, by)
	if err != nil {
		return nil, nil, err
	}
	if r.results == nil {
		r.results = map[string]queryResult{}
	}
	r.results[key] = queryResult{rows: copyRows(rows), cols: cols}
	return rows, cols, nil
}

// copyRows gives callers rows of their own: they fill in and withhold cells.
func copyRows(rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		out[i] = r
		out[i].Values = append([]any(nil), r.Values...)
	}
	return out
}

func (r *Runner) runQuery(ctx context.Context, name string, from, to time.Time, by []string) ([]Row, []string, error) {
	q, ok := r.queries[name]
	if !ok {
		return nil, nil, fmt.Errorf("no query %s", name)
	}
	args, err := r.bind(name, q, from, to, by)
	if err != nil {
		return nil, nil, err
	}
	rows, err := r.c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out []Row
	for rows.Next() {
		v := make([]any, len(cols))
		p := make([]any, len(cols))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			return nil, nil, err
		}
		out = append(out, Row{Values: v})
	}
	return out, cols, rows.Err()
}

// bind gives a query the named parameters it uses: the period, the
// grouping, and the thresholds of the config.
func (r *Runner) bind(name, q string, from, to time.Time, by []string) ([]any, error) {
	calStart, calEnd := r.cfg.Calendar.Start.Time, r.cfg.Calendar.End.Time
	if calStart.IsZero() || calEnd.IsZero() {
		calStart, calEnd = r.yearBounds()
	}
	values := map[string]any{
		"from": from, "to": to,
		"target_sessions": r.cfg.DosageTarget.SessionsPerWeek, "target_minutes": r.cfg.DosageTarget.MinutesPerWeek,
		"percentile_below": r.cfg.Eligibility.PercentileBelow, "benchmark_percentile": r.cfg.Impact.BenchmarkPercentile,
		"min_sessions": r.cfg.Impact.MinSessions, "outcome_window": r.cfg.Impact.OutcomeWindow,
		"school_year":       r.schoolYear(from),
		"prior_school_year": priorSchoolYear(r.schoolYear(from)), "baseline_prior_spring": r.cfg.Impact.BaselinePriorSpring,
		"calendar_start": calStart, "calendar_end": calEnd,
	}
	for _, d := range queries.Dimensions {
		values["by_"+d] = contains(by, d)
	}
	var args []any
	for _, p := range queries.Params(q) {
		v, ok := values[p]
		if !ok {
			return nil, fmt.Errorf("query %s uses $%s, which metrics does not provide", name, p)
		}
		args = append(args, sql.Named(p, v))
	}
	return args, nil
}

// yearBounds is the school year's first and last day: July 1 to June 30 of
// the config's school year (or the calendar's), else no bounds at all.
func (r *Runner) yearBounds() (time.Time, time.Time) {
	year := r.cfg.SchoolYear
	if year == "" && !r.cfg.Calendar.Start.IsZero() {
		year = values.SchoolYearOf(r.cfg.Calendar.Start.Time)
	}
	if y, err := strconv.Atoi(strings.SplitN(year, "-", 2)[0]); err == nil && year != "" {
		return time.Date(y, time.July, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, time.June, 30, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC)
}

// priorSchoolYear is the school year before a YYYY-YY one ("" if it is not one).
func priorSchoolYear(year string) string {
	y, err := strconv.Atoi(strings.SplitN(year, "-", 2)[0])
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d-%02d", y-1, y%100)
}

// schoolYear is the config's school year, else the one the period starts in.
func (r *Runner) schoolYear(from time.Time) string {
	if r.cfg.SchoolYear != "" {
		return r.cfg.SchoolYear
	}
	return values.SchoolYearOf(from)
}

// period resolves a period name to its dates.
//
// "year" is the whole school year, July 1 to June 30, not only the days of
// the calendar: a session sent for a day outside it is still counted, and
// the quality family flags it.
func (r *Runner) period(name string) (time.Time, time.Time, string, error) {
	cal := r.cfg.Calendar
	start, end := r.yearBounds()
	switch name {
	case "", "year":
		return start, end, "year", nil
	case "ytd":
		today := r.now().UTC().Truncate(24 * time.Hour)
		if today.Before(end) {
			end = today
		}
		return start, end, "year to date", nil
	}
	var names []string
	for _, p := range cal.Periods {
		if p.Name == name {
			return p.From.Time, p.To.Time, p.Name, nil
		}
		names = append(names, p.Name)
	}
	return time.Time{}, time.Time{}, "", &UsageError{fmt.Sprintf("no period %q (periods: year, ytd%s)", name, prefixAll(", ", names))}
}

func prefixAll(sep string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return sep + strings.Join(names, sep)
}

// keepAskedDimensions drops the dimension columns nobody asked for.
func (t *Table) keepAskedDimensions() {
	var keep []int
	for i, c := range t.Columns {
		if contains(queries.Dimensions, c) && !contains(t.By, c) && !contains(t.Within, c) {
			continue
		}
		keep = append(keep, i)
	}
	cols := make([]string, len(keep))
	for j, i := range keep {
		cols[j] = t.Columns[i]
	}
	for r := range t.Rows {
		v := make([]any, len(keep))
		for j, i := range keep {
			v[j] = t.Rows[r].Values[i]
		}
		t.Rows[r].Values = v
	}
	t.Columns = cols
}

// suppress withholds every figure of a row resting on fewer than min
// students (but at least one). Where the table shows a total, a single withheld row could be
// worked out by subtraction, so the next smallest row is withheld too.
func suppress(t *Table, min int) {
	withheld := t.withhold
	small := fmt.Sprintf("fewer than %d students", min)
	// Rows split by a Within column (growth's tutored and comparison groups)
	// each have their own total: the rule applies within each part.
	parts := map[string][]int{}
	var order []string
	for i, row := range t.Rows {
		var key []string
		for _, c := range t.Within {
			if j := indexOf(t.Columns, c); j >= 0 {
				key = append(key, fmt.Sprint(row.Values[j]))
			}
		}
		k := strings.Join(key, "\x00")
		if parts[k] == nil {
			order = append(order, k)
		}
		parts[k] = append(parts[k], i)
	}
	for _, k := range order {
		suppressPart(t, parts[k], min, small, withheld)
	}
}

// withhold blanks every figure of row i, keeping its dimensions, and says why.
func (t *Table) withhold(i int, why string) {
	row := &t.Rows[i]
	row.Suppressed = why
	for j, c := range t.Columns {
		if !t.IsDimension(c) {
			row.Values[j] = nil
		}
	}
}

// suppressPart applies the rule to one part of a table: the rows idx.
func suppressPart(t *Table, idx []int, min int, small string, withheld func(int, string)) {
	var hidden []int
	var shown []int
	hasTotal := false
	for _, i := range idx {
		row := t.Rows[i]
		// A row resting on no student at all has nothing to protect.
		tooSmall := row.N > 0 && row.N < int64(min)
		if row.Total {
			hasTotal = true
			if tooSmall {
				withheld(i, small)
			}
			continue
		}
		if tooSmall {
			withheld(i, small)
			hidden = append(hidden, i)
		} else if row.N > 0 { // withholding a row of no students protects nothing
			shown = append(shown, i)
		}
	}
	if hasTotal && len(hidden) == 1 && len(shown) > 0 {
		sort.SliceStable(shown, func(a, b int) bool { return t.Rows[shown[a]].N < t.Rows[shown[b]].N })
		withheld(shown[0], "withheld so that a smaller group's figures cannot be worked out from the total")
	}
}

func familyNames() []string {
	var n []string
	for _, f := range Families {
		n = append(n, f.Name)
	}
	return n
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}
