// Package config reads and validates the hitreflect YAML config file.
//
// Every problem is reported as a *Error naming the file, the line and the key,
// and saying what was expected, so that a typo fails when any command reads
// the config, not during the nightly run.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the whole nightly job, as the district writes it.
type Config struct {
	// Path is the file the config was read from; relative paths inside the
	// config (warehouse, output, landing folders) are relative to its folder.
	Path string `yaml:"-"`

	District   string   `yaml:"district"`
	SchoolYear string   `yaml:"school_year"`
	Timezone   string   `yaml:"timezone"`
	Calendar   Calendar `yaml:"calendar"`
	Warehouse  string   `yaml:"warehouse"`
	Output     string   `yaml:"output"`
	// MemoryLimit caps the warehouse's memory ("4GB"); empty: the
	// warehouse's default (a quarter of the machine's, at most 1 GiB).
	MemoryLimit  string       `yaml:"memory_limit"`
	Privacy      Privacy      `yaml:"privacy"`
	Alerts       Alerts       `yaml:"alerts"`
	DosageTarget DosageTarget `yaml:"dosage_target"`
	Eligibility  Eligibility  `yaml:"eligibility"`
	Impact       Impact       `yaml:"impact"`
	Schools      []School     `yaml:"schools"`
	Providers    []Provider   `yaml:"providers"`
	Sources      []Source     `yaml:"sources"`
	// Reports is the reflection packets hitreflect run writes each time.
	Reports Reports `yaml:"reports"`
	// Keep is how many of the nightly job's dated outputs stay in the output
	// folder; older ones are deleted after each run.
	Keep Keep `yaml:"keep"`
	// Schedule is when hitreflect schedule runs the whole job (cron syntax);
	// sources may add their own schedules for fetching and loading.
	Schedule string `yaml:"schedule"`
	// Profiles are the config's own file layouts, by name; built-in profiles
	// (see pipeline/profile) are available without being listed here.
	Profiles map[string]Profile `yaml:"profiles"`

	// Location is Timezone resolved; nil when no timezone is configured.
	Location *time.Location `yaml:"-"`
}

// Calendar is the instructional calendar of the school year.
type Calendar struct {
	Start   Date              `yaml:"start"`
	End     Date              `yaml:"end"`
	Breaks  []DateRange       `yaml:"breaks"`
	Windows map[string][]Date `yaml:"windows"` // fall|winter|spring -> [from, to]
	Periods []Period          `yaml:"periods"`
}

// DateRange is a span of days, both ends included.
type DateRange struct {
	From Date `yaml:"from"`
	To   Date `yaml:"to"`
}

// Period is a named reporting period (a quarter, a semester).
type Period struct {
	Name string `yaml:"name"`
	From Date   `yaml:"from"`
	To   Date   `yaml:"to"`
}

// Privacy holds the disclosure-control settings.
// Alerts are the thresholds above which a run finishes with warnings.
type Alerts struct {
	// RejectShare: a file whose share of rejected rows is above it is a
	// warning (default 0.05).
	RejectShare    float64  `yaml:"-"`
	RejectShareSet *float64 `yaml:"reject_share"`
}

type Privacy struct {
	MinCellSize     int    `yaml:"-"`
	MinCellSizeSet  *int   `yaml:"min_cell_size"`
	PseudonymKeyEnv string `yaml:"pseudonym_key_env"`
}

// Reports says which packets the nightly job writes: for which audience
// (all, district, school:ID, provider:ID, or none) and period (year, ytd
// or a period of the calendar), as hitreflect report's flags do.
type Reports struct {
	Audience string `yaml:"audience"`
	Period   string `yaml:"period"`
	// PNG also writes each chart as a 1920x1080 PNG beside its SVG.
	// Off by default: rasterising is most of a packet's cost and size, and
	// the SVG, the PDF and the web page are vector already.
	PNG bool `yaml:"png"`
}

// Keep is how many dated outputs of each kind hitreflect run keeps: run
// summaries (runs/), metric tables (metrics/) and research exports
// (exports/). 0 keeps them all.
type Keep struct {
	Runs       int  `yaml:"-"`
	Metrics    int  `yaml:"-"`
	Exports    int  `yaml:"-"`
	RunsSet    *int `yaml:"runs"`
	MetricsSet *int `yaml:"metrics"`
	ExportsSet *int `yaml:"exports"`
}

// DosageTarget is the weekly dosage a student should receive.
type DosageTarget struct {
	SessionsPerWeek float64 `yaml:"sessions_per_week"`
	MinutesPerWeek  float64 `yaml:"minutes_per_week"`
}

// Eligibility says which students the program is meant for.
type Eligibility struct {
	PercentileBelow    float64  `yaml:"-"`
	PercentileBelowSet *float64 `yaml:"percentile_below"`
}

// Impact holds the settings of the impact models.
type Impact struct {
	MinSessions            int      `yaml:"-"`
	MinSessionsSet         *int     `yaml:"min_sessions"`
	OutcomeWindow          string   `yaml:"outcome_window"`
	BenchmarkPercentile    float64  `yaml:"-"`
	BenchmarkPercentileSet *float64 `yaml:"benchmark_percentile"`
	// BaselinePriorSpring lets the prior school year's spring score serve as
	// the baseline of a student with no score this year before tutoring began.
	BaselinePriorSpring bool `yaml:"baseline_prior_spring"`
	// CaliperSD is the widest baseline gap, in SD of the baseline score,
	// between a tutored student and a matched comparison student.
	CaliperSD    float64  `yaml:"-"`
	CaliperSDSet *float64 `yaml:"caliper_sd"`
	// Matches is k: how many comparison students each tutored student is
	// matched to, at most (with replacement).
	Matches    int  `yaml:"-"`
	MatchesSet *int `yaml:"matches"`
}

// School names a district school; optional, names also come from assessment files.
type School struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Provider is a tutoring provider under contract.
type Provider struct {
	ID           string        `yaml:"id"`
	Name         string        `yaml:"name"`
	Cost         Cost          `yaml:"cost"`
	DosageTarget *DosageTarget `yaml:"dosage_target"`
}

// Cost is a provider's contract: per student served, per hour delivered, or a total.
type Cost struct {
	PerStudent float64 `yaml:"per_student"`
	PerHour    float64 `yaml:"per_hour"`
	Total      float64 `yaml:"total"`
}

// Source is one stream of files: where they come from and how to read them.
type Source struct {
	Name      string         `yaml:"name"`
	Kind      string         `yaml:"kind"`
	Provider  string         `yaml:"provider"`
	Connector map[string]any `yaml:"connector"`
	Profile   string         `yaml:"profile"`
	LoadMode  string         `yaml:"load_mode"`
	// ExpectEvery is how often the source sends a new file ("36h", "7d"):
	// longer without one is a warning. Empty: no expectation.
	ExpectEvery string        `yaml:"expect_every"`
	Expect      time.Duration `yaml:"-"`
	Schedule    string        `yaml:"schedule"`
}

// Profile maps one file layout to the canonical columns. See docs/profiles.md.
type Profile struct {
	Kind string `yaml:"kind"`
	// Extends names another profile (often a built-in) whose settings this one starts from.
	Extends string `yaml:"extends"`
	// Sheet names the worksheet to read in an Excel workbook; empty means the first.
	Sheet string `yaml:"sheet"`
	// Delimiter is "," or "\t" (or "tab"); empty means by file extension, then by sniffing.
	Delimiter string `yaml:"delimiter"`
	// Encoding is utf-8, windows-1252, utf-16 or empty for automatic detection.
	Encoding string `yaml:"encoding"`
	// HeaderLine is the 1-based line holding the headers; 0 finds it automatically.
	HeaderLine int `yaml:"header_line"`
	// SkipFooter is how many non-blank lines at the end are not data (totals, notes).
	SkipFooter int `yaml:"skip_footer"`
	// DateFormat is a Go layout such as 01/02/2006, or empty for automatic detection.
	DateFormat string `yaml:"date_format"`
	// TimeFormat is a Go layout such as 15:04 or 3:04 PM, or empty for automatic detection.
	TimeFormat string `yaml:"time_format"`
	// Columns maps a canonical field to the header that holds it in the
	// file, or to a list of headers of which the first non-empty cell counts
	// (a score that sits in another column for another test type).
	Columns Columns `yaml:"columns"`
	// Wide describes a block of columns that repeats per window, month or
	// subtest; each block of a row becomes a row of its own.
	Wide []WideBlock `yaml:"wide"`
	// FileName is a pattern for the file's name whose named parts give
	// fields their value: SM_{school_year}_{window}.csv.
	FileName string `yaml:"file_name"`
	// ValueMaps rewrite a field's raw values before they are read:
	// {grade: {Eleven: "11"}, window: {BOY: fall}}.
	ValueMaps map[string]Codes `yaml:"value_maps"`
	// NullValues are cell values that mean "no value" in a field ("*" for
	// every field): {percentile: ["N/A", "N/A*"], "*": ["--"]}.
	NullValues map[string][]string `yaml:"null_values"`
	// StudentIDWidth left-pads all-digit student ids with zeros to this
	// width (ids whose leading zeros a spreadsheet dropped).
	StudentIDWidth int `yaml:"student_id_width"`
	// KeepColumns are headers that look like personal data but are not.
	KeepColumns []string `yaml:"keep_columns"`
	// PrimaryMeasure is the measure that growth, coverage and impact use
	// when a file gives several (default composite).
	PrimaryMeasure string `yaml:"primary_measure"`
	// Bundle names the member of a .zip to read (users.csv of a OneRoster
	// bundle); the zip's other members can be joined.
	Bundle string `yaml:"bundle"`
	// Join looks fields up in other files beside the file (or in its zip).
	Join []Join `yaml:"join"`
	// RowsWhere keeps only rows whose column holds one of the values
	// ({role: [student]}); the others are skipped and counted.
	RowsWhere map[string][]string `yaml:"rows_where"`
	// Constants gives a field the same value on every row (assessment: map_growth).
	Constants Codes `yaml:"constants"`
	// HeaderConstants gives a field a value decided by which header the file
	// has: {subject: {Quantile Measure: math, Lexile Measure: ela}}.
	HeaderConstants map[string]Codes `yaml:"header_constants"`
	// StatusValues maps the file's attendance codes to canonical statuses.
	StatusValues Codes `yaml:"status_values"`
	// SubjectValues maps the file's subject names to math, ela, other or skip.
	SubjectValues Codes `yaml:"subject_values"`
	// ModalityValues maps the file's modality values to in_person or virtual.
	ModalityValues Codes `yaml:"modality_values"`
	// WindowValues maps the file's term names to fall, winter or spring.
	WindowValues Codes `yaml:"window_values"`
}

// WideBlock is a block of columns repeated once per value of a placeholder:
// with placeholder season and values [Fall, Winter], the column
// "{season} Score" is "Fall Score" in the first block, "Winter Score" in the
// second. Sets names the field each value gives its row (window, measure,
// subject, ...), read like that field's cells, value maps included.
type WideBlock struct {
	Placeholder string   `yaml:"placeholder"`
	Values      []string `yaml:"values"`
	Sets        string   `yaml:"sets"`
	Columns     Columns  `yaml:"columns"`
	// SkipWithout names fields a block must have to count as taken: a block
	// empty in all of them is skipped whatever else it holds (mCLASS fills
	// in a level for a subtest a student was discontinued on). Empty: a
	// block is skipped only when all its columns are empty.
	SkipWithout []string `yaml:"skip_without"`
}

// Join looks fields up in another file by a key: the row's Key column (the
// first non-empty of them; of a comma-separated list, its first item)
// matched against the other file's On column. Columns maps fields (or a
// rows_where name) to the other file's headers. A file named Optional may be
// missing; otherwise a missing file rejects the load.
type Join struct {
	File     string  `yaml:"file"`
	Key      Headers `yaml:"key"`
	On       string  `yaml:"on"`
	Columns  Columns `yaml:"columns"`
	Optional bool    `yaml:"optional"`
}

// Date is a calendar day written as YYYY-MM-DD in the config. A value that
// is not a date keeps its text in Raw, so validation can point at its line.
type Date struct {
	time.Time
	Raw string
}

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	d.Raw = strings.TrimSpace(string(b))
	if t, err := time.Parse("2006-01-02", d.Raw); err == nil {
		d.Time = t
	}
	return nil
}

// Invalid says the config gave a value that is not a date.
func (d Date) Invalid() bool { return d.Raw != "" && d.IsZero() }

// String writes YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format("2006-01-02")
}

// Load reads, parses and validates the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Resolve makes a path from the config absolute, relative to the config's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// WarehousePath is the DuckDB file, resolved.
func (c *Config) WarehousePath() string { return c.Resolve(c.Warehouse) }

// OutputDir is the output folder, resolved.
func (c *Config) OutputDir() string { return c.Resolve(c.Output) }

// Source returns the source with the given name.
func (c *Config) Source(name string) (*Source, bool) {
	for i := range c.Sources {
		if c.Sources[i].Name == name {
			return &c.Sources[i], true
		}
	}
	return nil, false
}

// SourceNames lists the configured source names, for messages.
func (c *Config) SourceNames() []string {
	names := make([]string, len(c.Sources))
	for i, s := range c.Sources {
		names[i] = s.Name
	}
	return names
}

// Provider returns the provider with the given id.
func (c *Config) Provider(id string) (*Provider, bool) {
	for i := range c.Providers {
		if c.Providers[i].ID == id {
			return &c.Providers[i], true
		}
	}
	return nil, false
}
