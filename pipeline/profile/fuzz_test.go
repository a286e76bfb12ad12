package profile

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/hitreflect/hitreflect/config"
)

// Any config text is read or refused with located errors; never a panic,
// profiles and their wide: blocks, joins and file name patterns included.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"district: D\nproviders: [{id: p}]\nsources:\n  - {name: s, kind: assessments, connector: {type: local, path: x}, profile: mine}\nprofiles:\n  mine:\n    kind: assessments\n    columns: {student_id: ID, scale_score: [A, B]}\n    constants: {assessment: a, subject: math}\n    file_name: \"X_{window}.csv\"\n    wide:\n      - {placeholder: s, values: [Fall, Winter], sets: window, columns: {test_date: \"{s} Date\"}}\n",
		"district: D\nprofiles:\n  a: {extends: b}\n  b: {extends: a}\n",
		"profiles: {x: {kind: roster, join: [{file: o.csv, key: k, on: k, columns: {school_id: id}}], rows_where: {role: [student]}}}\n",
		"", "{", "district: [",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lc, err := config.ParseLocated("/f.yaml", []byte(text))
		if err != nil {
			return
		}
		_, _ = ForConfig(lc)
	})
}

// Suggesting a profile for any headers and rows never panics, and what it
// prints is YAML that reads back.
func FuzzSuggest(f *testing.F) {
	f.Add("Student ID,Fall Score,Winter Score,Fall Date,Winter Date", "1,200,210,9/1/2025,1/10/2026")
	f.Add("Composite Score,Composite - Level,LNF - Score,LNF - Level,PSF - Score,PSF - Level", "1,2,3,4,5,6")
	f.Add("StudentID,PhonologicalAwarenessDomainScore,PhonicsWordRecognitionDomainScore,LanguageComprehensionDomainScore", ",,,")
	f.Fuzz(func(t *testing.T, header, row string) {
		for _, kind := range []string{"sessions", "assessments", "roster"} {
			s := Suggest(kind, "x_2025.csv", strings.Split(header, ","), [][]string{strings.Split(row, ",")})
			var back map[string]any
			if err := yaml.Unmarshal([]byte(s.YAML("p", "fuzz")), &back); err != nil {
				t.Fatalf("%s: the suggestion is not YAML: %v\n%s", kind, err, s.YAML("p", "fuzz"))
			}
		}
	})
}

// File name patterns and personal-data rules never panic.
func FuzzFileNamePattern(f *testing.F) {
	f.Add("SM_{school_year}_{window}*.csv", "SM_2025-26_Fall.csv")
	f.Add("{a}{b}", "x")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		_, _ = FileNameValues(pattern, name)
		_ = PersonalData(name)
	})
}
