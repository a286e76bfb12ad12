package config

import (
	"errors"
	"strings"
	"testing"
)

const good = `district: Riverside Unified
school_year: 2025-26
calendar:
  start: 2025-08-18
  end: 2026-06-05
  windows: {fall: [2025-08-18, 2025-10-31]}
providers:
  - id: brightpath
    cost: {per_student: 1200}
sources:
  - name: brightpath-sessions
    kind: sessions
    provider: brightpath
    connector: {type: local, path: landing/brightpath}
    profile: canonical-sessions
`

func TestParseGoodConfigAppliesDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse("/d/hitreflect.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Reports != (Reports{Audience: "all", Period: "year"}) {
		t.Errorf("reports defaults: %+v", cfg.Reports)
	}
	if cfg.Keep != (Keep{Runs: 90, Metrics: 30, Exports: 7}) {
		t.Errorf("keep defaults: %+v", cfg.Keep)
	}
	if cfg.Impact.CaliperSD != 0.2 || cfg.Impact.Matches != 3 || cfg.Impact.BaselinePriorSpring {
		t.Errorf("impact defaults: %+v", cfg.Impact)
	}
	if cfg.Privacy.MinCellSize != 10 || cfg.Sources[0].LoadMode != "upsert" || cfg.WarehousePath() != "/d/data/hitreflect.duckdb" {
		t.Errorf("defaults: %+v %q %q", cfg.Privacy, cfg.Sources[0].LoadMode, cfg.WarehousePath())
	}
	long, err := Parse("/d/hitreflect.yaml", []byte(strings.Replace(good, "2025-26", "2025-2026", 1)))
	if err != nil || long.SchoolYear != "2025-26" {
		t.Errorf("school_year 2025-2026 read as %q (%v)", long.SchoolYear, err)
	}
	if got := cfg.Calendar.Windows["fall"][1].String(); got != "2025-10-31" {
		t.Errorf("fall window ends %s", got)
	}
}

// Each error names the file, the line and the key, and says what was expected.
func TestConfigErrorsNameFileLineAndKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, from, to, want string
	}{
		{"unknown key", "school_year: 2025-26", "school_yaer: 2025-26", `/d/c.yaml:2: school_yaer: unknown key "school_yaer"`},
		{"bad kind", "    kind: sessions", "    kind: session", `/d/c.yaml:12: sources[0].kind: expected one of sessions, assessments, roster, got "session"`},
		{"unknown provider", "    provider: brightpath\n", "    provider: brightpth\n", `/d/c.yaml:13: sources[0].provider: no provider "brightpth" under providers: (known: brightpath)`},
		{"bad date", "end: 2026-06-05", "end: 06/05/2026", `/d/c.yaml:5`},
		{"bad load mode", "    profile: canonical-sessions", "    profile: canonical-sessions\n    load_mode: replace", `/d/c.yaml:16: sources[0].load_mode: expected one of upsert, snapshot, append, got "replace"`},
		{"text for a number", "school_year: 2025-26", "school_year: 2025-26\nprivacy: {min_cell_size: ten}", `/d/c.yaml:3: expected a whole number here, not text`},
		{"zero is not the default", "school_year: 2025-26", "school_year: 2025-26\nprivacy: {min_cell_size: 0}", `privacy.min_cell_size: expected a whole number of students, 1 or more`},
		{"bad schedule", "    profile: canonical-sessions", "    profile: canonical-sessions\n    schedule: \"at 2am\"", `/d/c.yaml:16: sources[0].schedule: expected a cron schedule such as "0 2 * * *"`},
		{"negative keep", "school_year: 2025-26", "school_year: 2025-26\nkeep: {exports: -1}", `/d/c.yaml:3: keep.exports: expected how many to keep: a whole number, 0 or more (0 keeps all)`},
		{"report for an unknown provider", "school_year: 2025-26", "school_year: 2025-26\nreports: {audience: \"provider:acme\"}", `/d/c.yaml:3: reports.audience: no provider "acme" under providers:`},
		{"report for a period not in the calendar", "school_year: 2025-26", "school_year: 2025-26\nreports: {period: Q9}", `/d/c.yaml:3: reports.period: expected year, ytd or a period of calendar.periods, got "Q9"`},
		{"memory without a unit", "school_year: 2025-26", "school_year: 2025-26\nmemory_limit: 4", `/d/c.yaml:3: memory_limit: expected an amount of memory such as 4GB or 512MB, got "4"`},
		{"caliper too wide", "school_year: 2025-26", "school_year: 2025-26\nimpact: {caliper_sd: 2}", `/d/c.yaml:3: impact.caliper_sd: expected a caliper in SD of the baseline score, above 0 and at most 1 (default 0.2)`},
		{"no matches", "school_year: 2025-26", "school_year: 2025-26\nimpact: {matches: 0}", `/d/c.yaml:3: impact.matches: expected how many comparison students to match to each tutored student: a whole number from 1 to 20 (default 3)`},
		{"two costs", "cost: {per_student: 1200}", "cost: {per_student: 1200, per_hour: 40}", `/d/c.yaml:9: providers[0].cost: expected one of per_student, per_hour or total, not several`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			text := strings.Replace(good, c.from, c.to, 1)
			if text == good {
				t.Fatalf("case does not change the config")
			}
			_, err := Parse("/d/c.yaml", []byte(text))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want config.Errors", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", err, c.want)
			}
		})
	}
}

// Codes keep their text: YAML would read 1 as a number and 0101 as octal.
func TestCodesAreReadAsWritten(t *testing.T) {
	t.Parallel()
	text := good + `profiles:
  p:
    kind: sessions
    columns: {student_id: "Student ID", school_id: School}
    status_values:
      1: attended
      0: student_absent
      0101: cancelled
      P: attended
      "Tutor Out": tutor_absent
    constants: {school_id: 0042}
`
	cfg, err := Parse("/d/c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Profiles["p"]
	want := map[string]string{"1": "attended", "0": "student_absent", "0101": "cancelled", "P": "attended", "Tutor Out": "tutor_absent"}
	for k, v := range want {
		if p.StatusValues[k] != v {
			t.Errorf("status_values[%q] = %q, want %q (all: %q)", k, p.StatusValues[k], v, p.StatusValues)
		}
	}
	if p.Constants["school_id"] != "0042" || p.Columns["student_id"].First() != "Student ID" {
		t.Errorf("constants %q columns %q", p.Constants, p.Columns)
	}
}

func TestReportsPNG(t *testing.T) {
	t.Parallel()
	cfg, err := Parse("/d/hitreflect.yaml", []byte(good+"reports: {png: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Reports != (Reports{Audience: "all", Period: "year", PNG: true}) {
		t.Errorf("reports: %+v", cfg.Reports)
	}
}

// The YAML library panics on some malformed input (found by FuzzConfig);
// the config is refused with a reason instead.
func TestMalformedYAMLIsAnErrorNotACrash(t *testing.T) {
	t.Parallel()
	text := "district: A\nproviders: [{id:A}]\nsources:\n ! 000000000000000000000000000000000000000000000000\n00000008:000:\n    0000: 0\n    0000000: #00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	_, err := ParseLocated("/c.yaml", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "/c.yaml") {
		t.Errorf("err = %v", err)
	}
}
