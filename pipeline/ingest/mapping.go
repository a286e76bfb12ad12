package ingest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/internal/config"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/pipeline/values"
)

// parsed is what one distinct raw value of a column becomes.
type parsed struct {
	Value   any    // canonical value as text DuckDB casts ("2025-09-03", "15:30:00", "45", "attended"), nil for empty
	Problem string // non-empty when the raw value cannot be read
	Skip    string // non-empty when rows with this value are skipped on purpose
	// For dates: the testing window and school year the date falls in.
	Window     string
	SchoolYear string
	Minutes    any // for times: minutes after midnight
}

// sqlType is the DuckDB type of a parsed field's value.
func sqlType(t profile.FieldType) string {
	switch t {
	case profile.Date:
		return "DATE"
	case profile.Time:
		return "TIME"
	case profile.Minutes, profile.Number, profile.Percentile:
		return "DOUBLE"
	case profile.Integer, profile.Grade:
		return "INTEGER"
	case profile.Flag:
		return "BOOLEAN"
	}
	return "VARCHAR"
}

// needsParsing says whether a field is read through the Go parsers (per
// distinct value) rather than taken as trimmed text in SQL.
func needsParsing(t profile.FieldType) bool {
	return t != profile.ID && t != profile.Text
}

// parser reads the distinct raw values of one field under one profile.
type parser struct {
	kind  string
	field profile.Field
	prof  profile.Profile
	cfg   *config.Config
}

func (p parser) parse(raw string) parsed {
	s := values.Trim(raw)
	if s == "" {
		return parsed{}
	}
	quoted := fmt.Sprintf("%s %q", p.field.Name, s)
	bad := func(problem values.Problem) parsed { return parsed{Problem: quoted + " " + string(problem)} }
	switch p.field.Type {
	case profile.Date:
		d, problem := values.Date(s, p.prof.DateFormat, p.cfg.Location)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: d.Format("2006-01-02"), Window: windowOf(p.cfg, d), SchoolYear: values.SchoolYearOf(d)}
	case profile.Time:
		m, problem := values.Clock(s, p.prof.TimeFormat)
		if problem != "" {
			return bad(problem)
		}
		secs := int(m*60 + 0.5)
		return parsed{Value: fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60), Minutes: m}
	case profile.Minutes:
		m, problem := values.Minutes(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: m}
	case profile.Number:
		f, problem := values.Number(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: f}
	case profile.Percentile:
		f, problem := values.Percentile(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: f}
	case profile.Integer:
		n, problem := values.Integer(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: n}
	case profile.Grade:
		g, problem := values.Grade(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: g}
	case profile.Flag:
		b, problem := values.Flag(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: b}
	case profile.SchoolYear:
		y, problem := values.SchoolYear(s)
		if problem != "" {
			return bad(problem)
		}
		return parsed{Value: y}
	case profile.Window:
		w, problem := values.Window(s, p.prof.WindowValues)
		if problem != "" {
			return bad(problem)
		}
		if w == "skip" {
			return parsed{Skip: fmt.Sprintf("window %q is skipped by the profile", s)}
		}
		return parsed{Value: w}
	case profile.Status:
		if v, ok := values.Lookup(s, p.prof.StatusValues); ok {
			return parsed{Value: v}
		}
		if len(p.prof.StatusValues) == 0 {
			if v, ok := values.Lookup(s, values.DefaultStatuses); ok {
				return parsed{Value: v}
			}
		}
		return parsed{Problem: fmt.Sprintf("%s is not a known attendance code (known: %s; add it to status_values in the profile)", quoted, knownCodes(p.prof.StatusValues, values.DefaultStatuses))}
	case profile.Modality:
		if v, ok := values.Lookup(s, p.prof.ModalityValues); ok {
			return parsed{Value: v}
		}
		if v, ok := values.Lookup(s, values.DefaultModalities); ok {
			return parsed{Value: v}
		}
		return parsed{Problem: fmt.Sprintf("%s is not a known modality (expected in person or virtual; add it to modality_values in the profile)", quoted)}
	case profile.Subject:
		v, ok := values.Lookup(s, p.prof.SubjectValues)
		if !ok {
			v, ok = values.Lookup(s, values.DefaultSubjects)
		}
		switch {
		case ok && v == "skip", !ok && p.kind == "assessments", ok && v == "other" && p.kind == "assessments":
			return parsed{Skip: fmt.Sprintf("subject %q is not tutored", s)}
		case !ok:
			return parsed{Value: "other"}
		}
		return parsed{Value: v}
	}
	return parsed{Value: s}
}

func knownCodes(m, defaults map[string]string) string {
	if len(m) == 0 {
		m = defaults
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 12 {
		keys = append(keys[:12], "…")
	}
	return strings.Join(keys, ", ")
}

// windowOf is the calendar's testing window holding d, if any.
func windowOf(cfg *config.Config, d time.Time) string {
	for _, w := range []string{"fall", "winter", "spring"} {
		r := cfg.Calendar.Windows[w]
		if len(r) == 2 && !d.Before(r[0].Time) && !d.After(r[1].Time) {
			return w
		}
	}
	return ""
}
