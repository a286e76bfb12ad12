// Package profile describes file layouts: which header holds which canonical
// field, how dates and codes are written, where the header is. Built-in
// profiles live in builtin/*.yaml, in the same format a district writes under
// profiles: in its config.
package profile

import (
	"embed"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/hitreflect/hitreflect/config"
)

// Field is a canonical field of one kind of file.
type Field struct {
	Name     string
	Type     FieldType
	Required bool
	Meaning  string
}

// FieldType says how a field's raw text is read.
type FieldType int

// Field types. Each has one parser in values/.
const (
	Text FieldType = iota
	ID
	Date
	Time
	Minutes
	Status
	Integer
	Number
	Percentile
	Grade
	Modality
	Subject
	SchoolYear
	Window
	Flag
)

// Fields lists the canonical fields of each kind, in the warehouse's column order.
var fields = map[string][]Field{
	"sessions": {
		{"session_id", ID, false, "the provider's id for the session"},
		{"student_id", ID, true, "district student id, leading zeros kept"},
		{"tutor_id", ID, false, "provider's tutor id"},
		{"school_id", ID, false, "district school id (else taken from the roster)"},
		{"school_name", Text, false, "school name, kept in the schools table"},
		{"session_date", Date, true, "local date of the session"},
		{"start_time", Time, false, "local start time"},
		{"end_time", Time, false, "local end time, used when there is no duration"},
		{"duration_minutes", Minutes, true, "scheduled or delivered minutes (or start and end times)"},
		{"status", Status, true, "attended, student_absent, tutor_absent or cancelled"},
		{"group_size", Integer, false, "students in the session"},
		{"modality", Modality, false, "in_person or virtual"},
		{"subject", Subject, false, "math, ela or other"},
	},
	"assessments": {
		{"student_id", ID, true, "district student id, leading zeros kept"},
		{"school_id", ID, false, "district school id"},
		{"school_name", Text, false, "school name, kept in the schools table"},
		{"grade", Grade, false, "grade at testing, K = 0"},
		{"assessment", ID, true, "which assessment, e.g. map_growth"},
		{"subject", Subject, true, "math or ela; other subjects are skipped"},
		{"school_year", SchoolYear, true, "YYYY-YY; else from the test date"},
		{"window", Window, true, "fall, winter or spring; else from the test date and the calendar's windows"},
		{"test_date", Date, true, "date the test was taken"},
		{"scale_score", Number, true, "scale score (RIT, i-Ready scale)"},
		{"percentile", Percentile, false, "national percentile rank, 0-100"},
		{"achievement_level", Text, false, "the vendor's achievement level or placement"},
		{"measure", Text, false, "composite (the default), or the subtest's name (psf, orf, ...)"},
	},
	"roster": {
		{"student_id", ID, true, "district student id, leading zeros kept"},
		{"school_id", ID, true, "district school id"},
		{"school_name", Text, false, "school name, kept in the schools table"},
		{"grade", Grade, false, "grade, K = 0"},
		{"ell", Flag, false, "English language learner"},
		{"sped", Flag, false, "special education"},
		{"econ_disadv", Flag, false, "economically disadvantaged"},
		{"race_ethnicity", Text, false, "race/ethnicity code"},
		{"gender", Text, false, "gender code"},
	},
}

// Fields returns the canonical fields of a kind.
func Fields(kind string) []Field { return fields[kind] }

// FieldByName returns one canonical field of a kind.
func FieldByName(kind, name string) (Field, bool) {
	for _, f := range fields[kind] {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Profile is a resolved layout, ready for the loader.
type Profile struct {
	Name string
	config.Profile
}

//go:embed builtin/*.yaml
var builtinFiles embed.FS

// Set holds every profile a config can use: the built-ins and the config's own.
type Set struct {
	profiles map[string]Profile
}

// Builtin returns the built-in profiles alone.
func Builtin() (*Set, error) {
	set := &Set{profiles: map[string]Profile{}}
	entries, err := builtinFiles.ReadDir("builtin")
	if err != nil {
		return nil, fmt.Errorf("read built-in profiles: %w", err)
	}
	for _, e := range entries {
		data, err := builtinFiles.ReadFile("builtin/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read built-in profile %s: %w", e.Name(), err)
		}
		var p config.Profile
		if err := yaml.UnmarshalWithOptions(data, &p, yaml.DisallowUnknownField()); err != nil {
			return nil, fmt.Errorf("built-in profile %s: %w", e.Name(), err)
		}
		name := strings.TrimSuffix(e.Name(), ".yaml")
		set.profiles[name] = Profile{Name: name, Profile: p}
	}
	return set, nil
}

// Names lists every profile in the set.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.profiles))
	for n := range s.profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns a profile by name.
func (s *Set) Get(name string) (Profile, bool) {
	p, ok := s.profiles[name]
	return p, ok
}

// ForConfig adds the config's profiles to the built-ins, resolves extends,
// and checks every profile and every source's use of one. Problems come back
// as config.Errors located in the config file.
func ForConfig(lc *config.Located) (*Set, error) {
	set, err := Builtin()
	if err != nil {
		return nil, err
	}
	var errs config.Errors
	names := make([]string, 0, len(lc.Profiles))
	for n := range lc.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	// resolve settles a profile after the one it extends, whatever the order
	// of their names; a chain that comes back on itself is an error.
	state := map[string]int{} // 1 resolving, 2 done
	var resolve func(name string) bool
	resolve = func(name string) bool {
		p, own := lc.Profiles[name]
		if !own || state[name] == 2 {
			_, ok := set.profiles[name]
			return ok
		}
		key := "profiles." + name
		if state[name] == 1 {
			errs = append(errs, lc.Errorf(key+".extends", "profile %q extends itself through a chain of extends", name))
			return false
		}
		state[name] = 1
		defer func() { state[name] = 2 }()
		if p.Extends != "" {
			if !resolve(p.Extends) {
				if _, known := set.profiles[p.Extends]; !known && lc.Profiles[p.Extends].Kind == "" && lc.Profiles[p.Extends].Extends == "" {
					errs = append(errs, lc.Errorf(key+".extends", "no profile %q to extend (known: %s)", p.Extends, strings.Join(set.Names(), ", ")))
				}
				return false
			}
			p = merge(set.profiles[p.Extends].Profile, p)
		}
		set.profiles[name] = Profile{Name: name, Profile: p}
		errs = append(errs, check(lc.Locator, lc.Config, key, p)...)
		return true
	}
	failed := map[string]bool{}
	for _, name := range names {
		if !resolve(name) {
			failed[name] = true
		}
	}
	for i, src := range lc.Sources {
		key := fmt.Sprintf("sources[%d].profile", i)
		p, ok := set.profiles[src.Profile]
		if !ok {
			if src.Profile != "" && !failed[src.Profile] {
				errs = append(errs, lc.Errorf(key, "no profile %q (built-in: %s; or add it under profiles:)", src.Profile, strings.Join(builtinNames(), ", ")))
			}
			continue
		}
		if p.Kind != src.Kind {
			errs = append(errs, lc.Errorf(key, "profile %q reads %s files but the source is kind %s", src.Profile, p.Kind, src.Kind))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}

func builtinNames() []string {
	s, _ := Builtin()
	if s == nil {
		return nil
	}
	return s.Names()
}

// merge lays the settings of p over those of base.
func merge(base, p config.Profile) config.Profile {
	out := base
	out.Extends = ""
	if p.Kind != "" {
		out.Kind = p.Kind
	}
	for _, pair := range []struct {
		dst *string
		v   string
	}{
		{&out.Delimiter, p.Delimiter}, {&out.Encoding, p.Encoding}, {&out.Sheet, p.Sheet}, {&out.DateFormat, p.DateFormat}, {&out.TimeFormat, p.TimeFormat},
	} {
		if pair.v != "" {
			*pair.dst = pair.v
		}
	}
	if p.HeaderLine != 0 {
		out.HeaderLine = p.HeaderLine
	}
	if p.SkipFooter != 0 {
		out.SkipFooter = p.SkipFooter
	}
	out.Columns = mergeMap(base.Columns, p.Columns)
	if p.Wide != nil {
		out.Wide = p.Wide
	}
	if p.FileName != "" {
		out.FileName = p.FileName
	}
	if p.StudentIDWidth != 0 {
		out.StudentIDWidth = p.StudentIDWidth
	}
	if p.PrimaryMeasure != "" {
		out.PrimaryMeasure = p.PrimaryMeasure
	}
	out.KeepColumns = append(slices.Clone(base.KeepColumns), p.KeepColumns...)
	if p.Bundle != "" {
		out.Bundle = p.Bundle
	}
	if p.Join != nil {
		out.Join = p.Join
	}
	out.RowsWhere = mergeMap(base.RowsWhere, p.RowsWhere)
	out.NullValues = mergeMap(base.NullValues, p.NullValues)
	if base.ValueMaps != nil || p.ValueMaps != nil {
		out.ValueMaps = map[string]config.Codes{}
		for f, m := range base.ValueMaps {
			out.ValueMaps[f] = m
		}
		for f, m := range p.ValueMaps {
			out.ValueMaps[f] = mergeMap(out.ValueMaps[f], m)
		}
	}
	out.Constants = mergeMap(base.Constants, p.Constants)
	out.StatusValues = mergeMap(base.StatusValues, p.StatusValues)
	out.SubjectValues = mergeMap(base.SubjectValues, p.SubjectValues)
	out.ModalityValues = mergeMap(base.ModalityValues, p.ModalityValues)
	out.WindowValues = mergeMap(base.WindowValues, p.WindowValues)
	if p.HeaderConstants != nil {
		out.HeaderConstants = p.HeaderConstants
	}
	return out
}

func mergeMap[M ~map[string]V, V any](base, over M) M {
	if base == nil && over == nil {
		return nil
	}
	out := M{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

var (
	statuses   = []string{"attended", "student_absent", "tutor_absent", "cancelled"}
	subjects   = []string{"math", "ela", "other", "skip"}
	modalities = []string{"in_person", "virtual"}
	windows    = []string{"fall", "winter", "spring", "skip"}
)

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// check validates one profile's settings against the canonical fields of its kind.
func check(l *config.Locator, cfg *config.Config, key string, p config.Profile) config.Errors {
	var errs config.Errors
	add := func(k, format string, args ...any) { errs = append(errs, l.Errorf(k, format, args...)) }
	if p.Kind == "" {
		add(key+".kind", "expected the kind of file this profile reads: sessions, assessments or roster")
		return errs
	}
	known := func(field string) bool { _, ok := FieldByName(p.Kind, field); return ok }
	fieldNames := func() string {
		var n []string
		for _, f := range Fields(p.Kind) {
			n = append(n, f.Name)
		}
		return strings.Join(n, ", ")
	}
	checkColumns := func(k string, cols config.Columns) {
		for _, field := range slices.Sorted(maps.Keys(cols)) {
			if !known(field) {
				add(k+"."+field, "%q is not a field of %s files (fields: %s)", field, p.Kind, fieldNames())
			}
			if len(cols[field]) == 0 {
				add(k+"."+field, "expected the header of the column holding %s", field)
			}
			for _, header := range cols[field] {
				if strings.TrimSpace(header) == "" {
					add(k+"."+field, "expected the header of the column holding %s, got an empty one", field)
				}
			}
		}
	}
	checkColumns(key+".columns", p.Columns)
	errs = append(errs, checkWide(l, key, p, known, fieldNames)...)
	errs = append(errs, checkJoins(l, key, p, known, fieldNames)...)
	for _, field := range slices.Sorted(maps.Keys(p.ValueMaps)) {
		if !known(field) {
			add(key+".value_maps."+field, "%q is not a field of %s files (fields: %s)", field, p.Kind, fieldNames())
		}
	}
	for _, field := range slices.Sorted(maps.Keys(p.NullValues)) {
		if field != "*" && !known(field) {
			add(key+".null_values."+field, "%q is not a field of %s files (fields: %s; or \"*\" for every field)", field, p.Kind, fieldNames())
		}
	}
	if p.StudentIDWidth < 0 || p.StudentIDWidth > 40 {
		add(key+".student_id_width", "expected a width from 1 to 40 (the digits a student id has), got %d", p.StudentIDWidth)
	}
	if p.PrimaryMeasure != "" && p.Kind != "assessments" {
		add(key+".primary_measure", "only assessment files have measures")
	}
	if p.FileName != "" {
		if _, parts, err := FileNamePattern(p.FileName); err != nil {
			add(key+".file_name", "%v", err)
		} else {
			for _, field := range parts {
				if !known(field) {
					add(key+".file_name", "{%s} is not a field of %s files (fields: %s)", field, p.Kind, fieldNames())
				}
			}
		}
	}
	// Constants are read as a file's cell would be, so a bad one fails here
	// rather than at load time.
	readConstant := func(k, field, v string) {
		f, ok := FieldByName(p.Kind, field)
		if !ok {
			add(k, "%q is not a field of %s files (fields: %s)", field, p.Kind, fieldNames())
			return
		}
		if r := (Reader{Kind: p.Kind, Field: f, Profile: p, Config: cfg}).Read(v); r.Problem != "" {
			add(k, "%s", r.Problem)
		} else if r.Skip != "" {
			add(k, "a constant that skips every row: %s", r.Skip)
		}
	}
	for _, field := range slices.Sorted(maps.Keys(p.Constants)) {
		readConstant(key+".constants."+field, field, p.Constants[field])
	}
	for _, field := range slices.Sorted(maps.Keys(p.HeaderConstants)) {
		for _, header := range slices.Sorted(maps.Keys(p.HeaderConstants[field])) {
			readConstant(key+".header_constants."+field+"."+header, field, p.HeaderConstants[field][header])
		}
	}
	checkValues := func(name string, m map[string]string, allowed []string) {
		for raw, v := range m {
			if !contains(allowed, v) {
				add(key+"."+name+"."+raw, "expected one of %s, got %q", strings.Join(allowed, ", "), v)
			}
		}
	}
	checkValues("status_values", p.StatusValues, statuses)
	checkValues("subject_values", p.SubjectValues, subjects)
	checkValues("modality_values", p.ModalityValues, modalities)
	checkValues("window_values", p.WindowValues, windows)
	switch p.Delimiter {
	case "", ",", "\t", "tab", ";", "|":
	default:
		add(key+".delimiter", "expected \",\", \"\\t\" (or tab), \";\" or \"|\", got %q", p.Delimiter)
	}
	switch strings.ToLower(p.Encoding) {
	case "", "utf-8", "utf8", "windows-1252", "cp1252", "latin-1", "utf-16":
	default:
		add(key+".encoding", "expected utf-8, windows-1252 or utf-16 (or leave it out to detect), got %q", p.Encoding)
	}
	// Every required field needs a column, a constant or a header constant,
	// except those the loader can derive.
	for _, f := range Fields(p.Kind) {
		if !f.Required {
			continue
		}
		_, col := p.Columns[f.Name]
		_, con := p.Constants[f.Name]
		_, hc := p.HeaderConstants[f.Name]
		derivable := Derivable(p, f.Name)
		if !col && !con && !hc && !derivable && !InWide(p, f.Name) && !inFileName(p, f.Name) && !InJoin(p, f.Name) {
			add(key+".columns", "expected a column for the required field %s (%s)", f.Name, f.Meaning)
		}
	}
	return errs
}

// Derivable says whether the loader can work out a field the file lacks: a
// session's duration from its start and end times, an assessment's window
// and school year from its test date.
func Derivable(p config.Profile, field string) bool {
	has := func(f string) bool { return len(p.Columns[f]) > 0 || InWide(p, f) }
	switch field {
	case "duration_minutes":
		return has("start_time") && has("end_time")
	case "window", "school_year":
		return p.Kind == "assessments" && has("test_date")
	}
	return false
}
