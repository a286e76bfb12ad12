package profile

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/values"
)

// Value is what one raw cell becomes under a profile.
type Value struct {
	Value   any    // canonical value as text DuckDB casts ("2025-09-03", "15:30:00", 45, "attended"); nil for empty
	Problem string // non-empty when the raw value cannot be read
	Skip    string // non-empty when rows with this value are skipped on purpose
	Note    string // non-empty when the value was read, but a person may want to know how
	// For dates: the testing window and school year the date falls in.
	Window     string
	SchoolYear string
	Minutes    any    // for times: minutes after midnight
	SchoolID   string // for a school name read by name: the config's id for it
}

// Reader reads the raw values of one field of one kind of file under a
// profile. The loader calls it once per distinct raw value; the config check
// calls it on constants.
type Reader struct {
	Kind    string
	Field   Field
	Profile config.Profile
	Config  *config.Config
	// SchoolByName looks a school name up in the config's schools list, for
	// a file that gives no school id.
	SchoolByName bool
}

// IsNull says whether a trimmed cell is one of the profile's words for "no
// value" in a field (compared without regard to case).
func IsNull(p config.Profile, field, s string) bool {
	for _, list := range [][]string{p.NullValues[field], p.NullValues["*"]} {
		for _, n := range list {
			if strings.EqualFold(values.Trim(n), s) {
				return true
			}
		}
	}
	return false
}

// Read reads one raw value: the profile's null values are empty, its value
// map for the field rewrites the text, and the field's parser reads it.
func (p Reader) Read(raw string) Value {
	s := values.Trim(raw)
	if s == "" || IsNull(p.Profile, p.Field.Name, s) {
		return Value{}
	}
	if m := p.Profile.ValueMaps[p.Field.Name]; len(m) > 0 {
		if v, ok := values.Lookup(s, m); ok {
			s = values.Trim(v)
			if s == "" {
				return Value{}
			}
		}
	}
	quoted := fmt.Sprintf("%s %q", p.Field.Name, s)
	if s != values.Trim(raw) {
		quoted = fmt.Sprintf("%s %q (%q in the file)", p.Field.Name, s, values.Trim(raw))
	}
	if p.SchoolByName && p.Field.Name == "school_name" {
		return p.schoolByName(s)
	}
	bad := func(problem values.Problem) Value { return Value{Problem: quoted + " " + string(problem)} }
	// plain turns a value reader's (value, problem) into a Value.
	plain := func(v any, problem values.Problem) Value {
		if problem != "" {
			return bad(problem)
		}
		return Value{Value: v}
	}
	switch p.Field.Type {
	case Date:
		d, problem := values.Date(s, p.Profile.DateFormat, location(p.Config))
		if problem != "" {
			return bad(problem)
		}
		return Value{Value: d.Format("2006-01-02"), Window: windowOf(p.Config, d), SchoolYear: values.SchoolYearOf(d)}
	case Time:
		m, problem := values.Clock(s, p.Profile.TimeFormat)
		if problem != "" {
			return bad(problem)
		}
		secs := int(m*60 + 0.5)
		return Value{Value: fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60), Minutes: m}
	case Minutes:
		return plain(values.Minutes(s))
	case Number:
		return plain(values.Number(s))
	case Percentile:
		return plain(values.Percentile(s))
	case Integer:
		return plain(values.Integer(s))
	case Grade:
		return plain(values.Grade(s))
	case Flag:
		return plain(values.Flag(s))
	case SchoolYear:
		return plain(values.SchoolYear(s))
	case Window:
		w, problem := values.Window(s, p.Profile.WindowValues)
		if problem != "" {
			return bad(problem)
		}
		if w == "skip" {
			return Value{Skip: fmt.Sprintf("window %q is skipped by the profile", s)}
		}
		return Value{Value: w}
	case Status:
		if v, ok := values.Lookup(s, p.Profile.StatusValues); ok {
			return Value{Value: v}
		}
		if len(p.Profile.StatusValues) == 0 {
			if v, ok := values.Lookup(s, values.DefaultStatuses); ok {
				return Value{Value: v}
			}
		}
		return Value{Problem: fmt.Sprintf("%s is not a known attendance code (known: %s; add it to status_values in the profile)", quoted, knownCodes(p.Profile.StatusValues, values.DefaultStatuses))}
	case Modality:
		if v, ok := values.Lookup(s, p.Profile.ModalityValues); ok {
			return Value{Value: v}
		}
		if v, ok := values.Lookup(s, values.DefaultModalities); ok {
			return Value{Value: v}
		}
		return Value{Problem: fmt.Sprintf("%s is not a known modality (expected in person or virtual; add it to modality_values in the profile)", quoted)}
	case Subject:
		v, ok := values.Lookup(s, p.Profile.SubjectValues)
		if !ok {
			v, ok = values.Lookup(s, values.DefaultSubjects)
		}
		switch {
		case ok && v == "skip", !ok && p.Kind == "assessments", ok && v == "other" && p.Kind == "assessments":
			return Value{Skip: fmt.Sprintf("subject %q is not tutored", s)}
		case !ok:
			return Value{Value: "other", Note: fmt.Sprintf("subject %q is not math or ela, so it is read as other (add it to subject_values to say otherwise)", s)}
		}
		return Value{Value: v}
	}
	return Value{Value: s}
}

// schoolByName finds a school's id in the config's schools list by its
// name, compared without regard to case or repeated spaces. A name is never
// taken for an id.
func (p Reader) schoolByName(s string) Value {
	key := func(n string) string { return strings.Join(strings.Fields(strings.ToLower(n)), " ") }
	var names []string
	if p.Config != nil {
		for _, sc := range p.Config.Schools {
			if sc.Name != "" && key(sc.Name) == key(s) {
				return Value{Value: s, SchoolID: sc.ID}
			}
			names = append(names, sc.Name)
		}
	}
	if len(names) > 8 {
		names = append(names[:8], "…")
	}
	return Value{Problem: fmt.Sprintf("school_name %q is not in the config's schools list (%s), so its school id is unknown; add it under schools: with its id", s, strings.Join(names, ", "))}
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
	if cfg == nil {
		return ""
	}
	for _, w := range []string{"fall", "winter", "spring"} {
		r := cfg.Calendar.Windows[w]
		if len(r) == 2 && !d.Before(r[0].Time) && !d.After(r[1].Time) {
			return w
		}
	}
	return ""
}

func location(cfg *config.Config) *time.Location {
	if cfg == nil {
		return nil
	}
	return cfg.Location
}
