// Package metrics computes what the reflection meetings look at, exactly as
// docs/metrics.md defines it: the SQL in queries/ does the counting, this
// package gives it the calendar and targets from the config, adds totals,
// and withholds figures that rest on too few students.
package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/queries"
)

// conn is what metrics needs of a pinned DuckDB connection (the set-up
// tables are temporary, so every query must run on the same one).
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Runner computes metrics on one connection to the warehouse.
type Runner struct {
	c       conn
	cfg     *config.Config
	queries queries.Set
	now     func() time.Time
	// results keeps each query's rows by name, dates and cut: families
	// build on each other (cost on engagement and impact, packets on
	// several cuts), and the warehouse does not change under a Runner.
	results map[string]queryResult
	// impact is the fitted impact rows (nil until first asked for).
	impact []Row
}

type queryResult struct {
	rows []Row
	cols []string
}

// New sets up the calendar, periods, dosage targets and the session facts
// on c and returns a Runner. now gives "today" for year-to-date periods.
func New(ctx context.Context, c conn, cfg *config.Config, now func() time.Time) (*Runner, error) {
	qs, err := queries.Load()
	if err != nil {
		return nil, err
	}
	r := &Runner{c: c, cfg: cfg, queries: qs, now: now}
	if err := r.setup(ctx); err != nil {
		return nil, fmt.Errorf("set up metrics: %w", err)
	}
	return r, nil
}

func (r *Runner) exec(ctx context.Context, q string, args ...any) error {
	_, err := r.c.ExecContext(ctx, q, args...)
	return err
}

func (r *Runner) setup(ctx context.Context) error {
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE calendar_periods (name VARCHAR, from_date DATE, to_date DATE)`,
		`CREATE OR REPLACE TEMP TABLE instructional_weeks (week_start DATE)`,
		`CREATE OR REPLACE TEMP TABLE dosage_targets (provider VARCHAR, sessions_per_week DOUBLE, minutes_per_week DOUBLE)`,
		`CREATE OR REPLACE TEMP TABLE calendar_breaks (from_date DATE, to_date DATE)`,
	} {
		if err := r.exec(ctx, q); err != nil {
			return err
		}
	}
	for _, p := range r.cfg.Calendar.Periods {
		if err := r.exec(ctx, `INSERT INTO calendar_periods VALUES (?, ?, ?)`, p.Name, p.From.Time, p.To.Time); err != nil {
			return err
		}
	}
	for _, b := range r.cfg.Calendar.Breaks {
		if err := r.exec(ctx, `INSERT INTO calendar_breaks VALUES (?, ?)`, b.From.Time, b.To.Time); err != nil {
			return err
		}
	}
	for _, p := range r.cfg.Providers {
		if p.DosageTarget != nil {
			// A provider's target that gives one number keeps the district's other.
			sessions, minutes := p.DosageTarget.SessionsPerWeek, p.DosageTarget.MinutesPerWeek
			if sessions == 0 {
				sessions = r.cfg.DosageTarget.SessionsPerWeek
			}
			if minutes == 0 {
				minutes = r.cfg.DosageTarget.MinutesPerWeek
			}
			if err := r.exec(ctx, `INSERT INTO dosage_targets VALUES (?, ?, ?)`, p.ID, sessions, minutes); err != nil {
				return err
			}
		}
	}
	for _, w := range instructionalWeeks(r.cfg.Calendar) {
		if err := r.exec(ctx, `INSERT INTO instructional_weeks VALUES (?)`, w); err != nil {
			return err
		}
	}
	if r.cfg.Calendar.Start.IsZero() || r.cfg.Calendar.End.IsZero() {
		// No complete calendar: every week with a session counts as instructional.
		if err := r.exec(ctx, `INSERT INTO instructional_weeks SELECT DISTINCT CAST(date_trunc('week', session_date) AS DATE) FROM sessions`); err != nil {
			return err
		}
	}
	if err := r.exec(ctx, `CREATE OR REPLACE TEMP TABLE session_days AS `+r.queries["session_days"]); err != nil {
		return err
	}
	if err := r.exec(ctx, `CREATE OR REPLACE TEMP VIEW session_facts AS `+r.queries["session_facts"]); err != nil {
		return err
	}
	// The impact analysis table depends on the year, not the period: built once.
	from, to, _, err := r.period("year")
	if err != nil {
		return err
	}
	q := r.queries["analysis_sample"]
	args, err := r.bind("analysis_sample", q, from, to, nil)
	if err != nil {
		return err
	}
	return r.exec(ctx, `CREATE OR REPLACE TEMP TABLE analysis_sample AS `+q, args...)
}

// instructionalWeeks lists the Mondays of the weeks that have at least one
// school day: a weekday inside the calendar and outside every break.
func instructionalWeeks(cal config.Calendar) []time.Time {
	if cal.Start.IsZero() || cal.End.IsZero() {
		return nil
	}
	var weeks []time.Time
	seen := map[time.Time]bool{}
	for d := cal.Start.Time; !d.After(cal.End.Time); d = d.AddDate(0, 0, 1) {
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || onBreak(cal, d) {
			continue
		}
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		if !seen[monday] {
			seen[monday] = true
			weeks = append(weeks, monday)
		}
	}
	return weeks
}

func onBreak(cal config.Calendar, d time.Time) bool {
	for _, b := range cal.Breaks {
		if !d.Before(b.From.Time) && !d.After(b.To.Time) {
			return true
		}
	}
	return false
}
