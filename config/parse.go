package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	"github.com/robfig/cron/v3"

	"github.com/hitreflect/hitreflect/values"
)

// Error is one problem in the config file, located for a person to fix.
type Error struct {
	File string
	Line int    // 0 when the key is absent from the file
	Key  string // YAML path such as sources[2].kind
	Msg  string // what was expected
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Errors is every problem found in one config file.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Locator finds the line of a key in the config file.
type Locator struct {
	file string
	ast  *ast.File
}

// Errorf builds an *Error for the key at keyPath (sources[2].connector.path).
// Where the key itself is missing, the nearest present parent gives the line.
func (l *Locator) Errorf(keyPath, format string, args ...any) *Error {
	return &Error{File: l.file, Line: l.line(keyPath), Key: keyPath, Msg: fmt.Sprintf(format, args...)}
}

func (l *Locator) line(keyPath string) int {
	if l == nil || l.ast == nil {
		return 0
	}
	for p := keyPath; p != ""; p = parentPath(p) {
		yp, err := yaml.PathString("$." + p)
		if err != nil {
			continue
		}
		node, err := yp.FilterFile(l.ast)
		if err == nil && node != nil && node.GetToken() != nil {
			return node.GetToken().Position.Line
		}
	}
	return 0
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// Located is a config together with the means to point at its lines; later
// stages (profiles, connectors) use it to report their own checks.
type Located struct {
	*Config
	*Locator
}

// Parse decodes and validates config text read from path.
func Parse(path string, data []byte) (*Config, error) {
	lc, err := ParseLocated(path, data)
	if err != nil {
		return nil, err
	}
	return lc.Config, nil
}

// ParseLocated is Parse that also returns the locator for further checks.
// When the YAML decodes but does not validate, it returns both the config
// and the Errors.
func ParseLocated(path string, data []byte) (*Located, error) {
	loc := &Locator{file: path}
	file, err := parseYAML(data)
	if err != nil {
		return nil, Errors{yamlError(path, err)}
	}
	loc.ast = file
	cfg := &Config{Path: path}
	if err := decodeYAML(data, cfg); err != nil {
		return nil, Errors{yamlError(path, err)}
	}
	cfg.applyDefaults()
	lc := &Located{Config: cfg, Locator: loc}
	if errs := cfg.validate(loc); len(errs) > 0 {
		// The config is returned too, so later checks (profiles, connectors)
		// can add their findings to one report.
		return lc, errs
	}
	return lc, nil
}

// decodeYAML decodes the config. The YAML library can panic on some
// malformed input (a tag with no value inside a sequence, found by
// FuzzConfig); that is a config the person must fix, not a crash.
func decodeYAML(data []byte, cfg *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML cannot be read (the reader gave up: %v); check the indentation and the tags (!) near the end of what you changed", r)
		}
	}()
	return yaml.UnmarshalWithOptions(data, cfg, yaml.DisallowUnknownField())
}

// parseYAML parses the config for its lines, with the same guard.
func parseYAML(data []byte) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML cannot be read (the reader gave up: %v); check the indentation and the tags (!) near the end of what you changed", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

// yamlError turns a go-yaml error into an *Error with a line.
func yamlError(path string, err error) *Error {
	var located interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &located) && located.GetToken() != nil {
		tk := located.GetToken()
		msg := located.GetMessage()
		key := ""
		if m := unknownField.FindStringSubmatch(msg); m != nil {
			key = m[1]
			msg = fmt.Sprintf("unknown key %q (check the spelling; docs/config.md lists every key)", m[1])
		} else if m := typeMismatch.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("expected %s here, not %s", describeGoType(m[3]), describeYAMLType(m[1]))
		}
		return &Error{File: path, Line: tk.Position.Line, Key: key, Msg: msg}
	}
	return &Error{File: path, Msg: err.Error()}
}

var (
	unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)
	typeMismatch = regexp.MustCompile(`cannot unmarshal (\S+) into Go (?:struct field|value) (\S*) ?of type (\S+)`)
)

// describeGoType names a Go type the way the config's reader thinks of it.
func describeGoType(t string) string {
	switch {
	case strings.HasPrefix(t, "*"):
		return describeGoType(t[1:])
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "text"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"):
		return "a set of key: value pairs"
	}
	return "a set of key: value pairs"
}

func describeYAMLType(t string) string {
	switch t {
	case "string":
		return "text"
	case "uint64", "int64", "int":
		return "a number"
	case "float64":
		return "a number"
	case "[]interface", "[]interface {}":
		return "a list"
	case "map[string]interface", "map[string]interface {}":
		return "key: value pairs"
	}
	return t
}

func orDefault[T any](set *T, def T) T {
	if set == nil {
		return def
	}
	return *set
}

func (c *Config) applyDefaults() {
	if c.Warehouse == "" {
		c.Warehouse = "data/hitreflect.duckdb"
	}
	if c.Output == "" {
		c.Output = "out"
	}
	// Numbers left out take their defaults; numbers given, even 0, are kept
	// and checked.
	c.Privacy.MinCellSize = orDefault(c.Privacy.MinCellSizeSet, 10)
	c.Alerts.RejectShare = orDefault(c.Alerts.RejectShareSet, 0.05)
	if c.Privacy.PseudonymKeyEnv == "" {
		c.Privacy.PseudonymKeyEnv = "HITREFLECT_PSEUDONYM_KEY"
	}
	c.Eligibility.PercentileBelow = orDefault(c.Eligibility.PercentileBelowSet, 40)
	c.Impact.MinSessions = orDefault(c.Impact.MinSessionsSet, 1)
	c.Impact.BenchmarkPercentile = orDefault(c.Impact.BenchmarkPercentileSet, 40)
	c.Impact.CaliperSD = orDefault(c.Impact.CaliperSDSet, 0.2)
	c.Impact.Matches = orDefault(c.Impact.MatchesSet, 3)
	if c.Impact.OutcomeWindow == "" {
		c.Impact.OutcomeWindow = "spring"
	}
	if c.Schedule == "" {
		c.Schedule = "0 2 * * *" // every night at 02:00
	}
	if c.Reports.Audience == "" {
		c.Reports.Audience = "all"
	}
	if c.Reports.Period == "" {
		c.Reports.Period = "year"
	}
	// A research export is a whole copy of the year, so few are kept; run
	// summaries are small and also kept in the warehouse's runs table.
	c.Keep.Runs = orDefault(c.Keep.RunsSet, 90)
	c.Keep.Metrics = orDefault(c.Keep.MetricsSet, 30)
	c.Keep.Exports = orDefault(c.Keep.ExportsSet, 7)
	for i := range c.Sources {
		if c.Sources[i].LoadMode == "" {
			c.Sources[i].LoadMode = "upsert"
		}
	}
}

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	memoryPattern = regexp.MustCompile(`^(?i)[0-9]+(\.[0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)
)

// Kinds of source file.
var Kinds = []string{"sessions", "assessments", "roster"}

// LoadModes of DATA.md.
var LoadModes = []string{"upsert", "snapshot", "append"}

func oneOf(v string, options []string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}

// ParseInterval reads a duration as Go writes them (90m, 36h) or in days (7d).
func ParseInterval(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil {
			return 0, err
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	return time.ParseDuration(s)
}

func (c *Config) validate(l *Locator) Errors {
	var errs Errors
	add := func(e *Error) { errs = append(errs, e) }
	if c.Alerts.RejectShare < 0 || c.Alerts.RejectShare > 1 {
		add(l.Errorf("alerts.reject_share", "expected a share between 0 and 1 (0.05 is 5%%), got %v", c.Alerts.RejectShare))
	}
	if strings.TrimSpace(c.District) == "" {
		add(l.Errorf("district", "expected the district's name, e.g. district: Riverside Unified"))
	}
	if c.SchoolYear != "" {
		if y, problem := values.SchoolYear(c.SchoolYear); problem != "" {
			add(l.Errorf("school_year", "expected a school year such as 2025-26 or 2025-2026, got %q", c.SchoolYear))
		} else {
			c.SchoolYear = y
		}
	}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			add(l.Errorf("timezone", "expected an IANA time zone such as America/Chicago, got %q", c.Timezone))
		}
		c.Location = loc
	}
	cal := c.Calendar
	dates := cal.dates()
	for _, key := range slices.Sorted(maps.Keys(dates)) {
		if d := dates[key]; d.Invalid() {
			add(l.Errorf(key, "expected a date written YYYY-MM-DD, got %q", d.Raw))
		}
	}
	if !cal.Start.IsZero() && !cal.End.IsZero() && !cal.End.After(cal.Start.Time) {
		add(l.Errorf("calendar.end", "expected the end (%s) to come after the start (%s)", cal.End, cal.Start))
	}
	for i, b := range cal.Breaks {
		if b.From.IsZero() || b.To.IsZero() || b.To.Before(b.From.Time) {
			add(l.Errorf(fmt.Sprintf("calendar.breaks[%d]", i), "expected {from: YYYY-MM-DD, to: YYYY-MM-DD} with to on or after from"))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cal.Windows)) {
		w := cal.Windows[name]
		if !oneOf(name, []string{"fall", "winter", "spring"}) {
			add(l.Errorf("calendar.windows."+name, "expected a window named fall, winter or spring"))
		}
		if len(w) != 2 || w[1].Before(w[0].Time) {
			add(l.Errorf("calendar.windows."+name, "expected [first day, last day] with the last on or after the first"))
		}
	}
	for i, p := range cal.Periods {
		if p.Name == "" || p.From.IsZero() || p.To.IsZero() || p.To.Before(p.From.Time) {
			add(l.Errorf(fmt.Sprintf("calendar.periods[%d]", i), "expected {name: Q1, from: YYYY-MM-DD, to: YYYY-MM-DD}"))
		}
	}
	if c.Impact.MinSessions < 1 {
		add(l.Errorf("impact.min_sessions", "expected a whole number of sessions, 1 or more (default 1)"))
	}
	if c.Impact.BenchmarkPercentile < 0 || c.Impact.BenchmarkPercentile > 100 {
		add(l.Errorf("impact.benchmark_percentile", "expected a percentile from 0 to 100"))
	}
	if c.Impact.CaliperSD <= 0 || c.Impact.CaliperSD > 1 {
		add(l.Errorf("impact.caliper_sd", "expected a caliper in SD of the baseline score, above 0 and at most 1 (default 0.2)"))
	}
	if c.Impact.Matches < 1 || c.Impact.Matches > 20 {
		add(l.Errorf("impact.matches", "expected how many comparison students to match to each tutored student: a whole number from 1 to 20 (default 3)"))
	}
	if err := checkSchedule(c.Schedule); err != nil {
		add(l.Errorf("schedule", "expected a cron schedule such as \"0 2 * * *\" (02:00 every night): %v", err))
	}
	if c.MemoryLimit != "" && !memoryPattern.MatchString(c.MemoryLimit) {
		add(l.Errorf("memory_limit", "expected an amount of memory such as 4GB or 512MB, got %q", c.MemoryLimit))
	}
	if msg := c.checkReportAudience(); msg != "" {
		add(l.Errorf("reports.audience", "%s", msg))
	}
	if p := c.Reports.Period; p != "year" && p != "ytd" && !slices.ContainsFunc(c.Calendar.Periods, func(x Period) bool { return x.Name == p }) {
		add(l.Errorf("reports.period", "expected year, ytd or a period of calendar.periods, got %q", p))
	}
	for _, k := range []struct {
		key string
		n   int
	}{{"keep.runs", c.Keep.Runs}, {"keep.metrics", c.Keep.Metrics}, {"keep.exports", c.Keep.Exports}} {
		if k.n < 0 {
			add(l.Errorf(k.key, "expected how many to keep: a whole number, 0 or more (0 keeps all)"))
		}
	}
	if c.Privacy.MinCellSize < 1 {
		add(l.Errorf("privacy.min_cell_size", "expected a whole number of students, 1 or more (default 10)"))
	}
	if c.DosageTarget.SessionsPerWeek < 0 || c.DosageTarget.MinutesPerWeek < 0 {
		add(l.Errorf("dosage_target", "expected sessions_per_week and minutes_per_week of zero or more"))
	}
	if c.Eligibility.PercentileBelow < 0 || c.Eligibility.PercentileBelow > 100 {
		add(l.Errorf("eligibility.percentile_below", "expected a percentile from 0 to 100"))
	}
	if !oneOf(c.Impact.OutcomeWindow, []string{"winter", "spring"}) {
		add(l.Errorf("impact.outcome_window", "expected winter or spring, got %q", c.Impact.OutcomeWindow))
	}

	schools := map[string]bool{}
	for i, sc := range c.Schools {
		key := fmt.Sprintf("schools[%d].id", i)
		switch {
		case strings.TrimSpace(sc.ID) == "":
			add(l.Errorf(key, "expected the school's district id (quote it if it has leading zeros: id: \"0101\")"))
		case schools[sc.ID]:
			add(l.Errorf(key, "school %q is listed twice", sc.ID))
		}
		schools[sc.ID] = true
	}
	providers := map[string]bool{}
	for i, p := range c.Providers {
		key := fmt.Sprintf("providers[%d]", i)
		switch {
		case !idPattern.MatchString(p.ID):
			add(l.Errorf(key+".id", "expected a short id of lower-case letters, digits, - or _, got %q", p.ID))
		case providers[p.ID]:
			add(l.Errorf(key+".id", "provider %q is listed twice", p.ID))
		}
		providers[p.ID] = true
		if t := p.DosageTarget; t != nil && (t.SessionsPerWeek < 0 || t.MinutesPerWeek < 0) {
			add(l.Errorf(key+".dosage_target", "expected sessions_per_week and minutes_per_week of zero or more"))
		}
		n := 0
		for _, v := range []float64{p.Cost.PerStudent, p.Cost.PerHour, p.Cost.Total} {
			if v < 0 {
				add(l.Errorf(key+".cost", "expected costs of zero or more"))
			}
			if v > 0 {
				n++
			}
		}
		if n > 1 {
			add(l.Errorf(key+".cost", "expected one of per_student, per_hour or total, not several"))
		}
	}

	names := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		switch {
		case !idPattern.MatchString(s.Name):
			add(l.Errorf(key+".name", "expected a short name of lower-case letters, digits, - or _, got %q", s.Name))
		case names[s.Name]:
			add(l.Errorf(key+".name", "source %q is listed twice", s.Name))
		}
		names[s.Name] = true
		if !oneOf(s.Kind, Kinds) {
			add(l.Errorf(key+".kind", "expected one of %s, got %q", strings.Join(Kinds, ", "), s.Kind))
		}
		if s.Kind == "sessions" && s.Provider == "" {
			add(l.Errorf(key+".provider", "expected the id of the provider who sends these sessions"))
		}
		if s.Provider != "" && !providers[s.Provider] {
			known := "no providers are listed"
			if len(c.Providers) > 0 {
				known = "known: " + strings.Join(providerIDs(c.Providers), ", ")
			}
			add(l.Errorf(key+".provider", "no provider %q under providers: (%s)", s.Provider, known))
		}
		if !oneOf(s.LoadMode, LoadModes) {
			add(l.Errorf(key+".load_mode", "expected one of %s, got %q", strings.Join(LoadModes, ", "), s.LoadMode))
		}
		if s.Profile == "" {
			add(l.Errorf(key+".profile", "expected the name of a profile (a built-in one or one under profiles:)"))
		}
		if s.ExpectEvery != "" {
			d, err := ParseInterval(s.ExpectEvery)
			if err != nil || d <= 0 {
				add(l.Errorf(key+".expect_every", "expected how often the source sends a file, such as 36h or 7d, got %q", s.ExpectEvery))
			}
			c.Sources[i].Expect = d
		}
		if s.Schedule != "" {
			if err := checkSchedule(s.Schedule); err != nil {
				add(l.Errorf(key+".schedule", "expected a cron schedule such as \"0 2 * * *\" (02:00 every night): %v", err))
			}
		}
		if s.Connector == nil {
			add(l.Errorf(key+".connector", "expected a connector, e.g. {type: local, path: landing/provider, pattern: \"*.csv\"}"))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Profiles)) {
		p := c.Profiles[name]
		if p.Kind != "" && !oneOf(p.Kind, Kinds) {
			add(l.Errorf("profiles."+name+".kind", "expected one of %s, got %q", strings.Join(Kinds, ", "), p.Kind))
		}
		if p.HeaderLine < 0 || p.SkipFooter < 0 {
			add(l.Errorf("profiles."+name, "expected header_line and skip_footer of zero or more"))
		}
	}
	return errs
}

// checkSchedule parses a cron schedule; @every needs a period of a second or more.
func checkSchedule(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return err
	}
	if d, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every"); ok {
		if p, err := time.ParseDuration(strings.TrimSpace(d)); err != nil || p < time.Second {
			return fmt.Errorf("@every needs a period of a second or more, got %q", strings.TrimSpace(d))
		}
	}
	return nil
}

func providerIDs(ps []Provider) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// dates lists every date of the calendar by its key path.
func (cal Calendar) dates() map[string]Date {
	out := map[string]Date{"calendar.start": cal.Start, "calendar.end": cal.End}
	for i, b := range cal.Breaks {
		out[fmt.Sprintf("calendar.breaks[%d].from", i)] = b.From
		out[fmt.Sprintf("calendar.breaks[%d].to", i)] = b.To
	}
	for name, w := range cal.Windows {
		for i, d := range w {
			out[fmt.Sprintf("calendar.windows.%s[%d]", name, i)] = d
		}
	}
	for i, p := range cal.Periods {
		out[fmt.Sprintf("calendar.periods[%d].from", i)] = p.From
		out[fmt.Sprintf("calendar.periods[%d].to", i)] = p.To
	}
	return out
}

// checkReportAudience says what is wrong with reports.audience, if anything.
func (c *Config) checkReportAudience() string {
	a := c.Reports.Audience
	switch a {
	case "all", "district", "none":
		return ""
	}
	kind, id, _ := strings.Cut(a, ":")
	switch {
	case kind == "school" && id != "":
		if !slices.ContainsFunc(c.Schools, func(s School) bool { return s.ID == id }) {
			return fmt.Sprintf("no school %q under schools:", id)
		}
		return ""
	case kind == "provider" && id != "":
		if !slices.ContainsFunc(c.Providers, func(p Provider) bool { return p.ID == id }) {
			return fmt.Sprintf("no provider %q under providers:", id)
		}
		return ""
	}
	return fmt.Sprintf("expected all, district, school:ID, provider:ID or none, got %q", a)
}
