package profile

import (
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/hitreflect/hitreflect/config"
)

func TestPersonalDataByWholeWords(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"First Name":                       "a person's name",
		"StudentLastName":                  "a person's name",
		"student_first":                    "a person's name",
		"Name":                             "a person's name",
		"Birth Date":                       "a birth date",
		"DOB":                              "a birth date",
		"Home Address":                     "an address",
		"E-mail":                           "an email address",
		"Parent Phone":                     "a phone number",
		"Guardian":                         "a parent or guardian",
		"Username":                         "a login or identity number",
		"Phonemic Awareness (PSF) - Score": "",
		"Phonics":                          "",
		"SchoolName":                       "",
		"School Name":                      "",
		"Test Name":                        "",
		"Last Test Date":                   "",
		"Zone":                             "",
	} {
		if got := PersonalData(header); got != want {
			t.Errorf("PersonalData(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestBlocksOfTwoPlaceholders(t *testing.T) {
	t.Parallel()
	var p config.Profile
	text := `
kind: assessments
wide:
  - placeholder: season
    values: [Fall, Winter]
    sets: window
    columns: {test_date: "{season} Date"}
  - placeholder: measure
    values: [earlyMath, aMath]
    sets: measure
    columns: {scale_score: ["{season} {measure} Score", "{season} {measure} Alt"]}
`
	if err := yaml.Unmarshal([]byte(text), &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range Blocks(p) {
		got = append(got, b.Label+": "+strings.Join(b.Columns["test_date"], ",")+" "+strings.Join(b.Columns["scale_score"], ",")+" "+b.Sets["window"]+"/"+b.Sets["measure"])
	}
	want := []string{
		"Fall / earlyMath: Fall Date Fall earlyMath Score,Fall earlyMath Alt Fall/earlyMath",
		"Fall / aMath: Fall Date Fall aMath Score,Fall aMath Alt Fall/aMath",
		"Winter / earlyMath: Winter Date Winter earlyMath Score,Winter earlyMath Alt Winter/earlyMath",
		"Winter / aMath: Winter Date Winter aMath Score,Winter aMath Alt Winter/aMath",
	}
	if !slices.Equal(got, want) {
		t.Errorf("blocks\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFileNamePattern(t *testing.T) {
	t.Parallel()
	got, ok := FileNameValues("SM_{school_year}_{window}*.csv", "sm_2025-26_Winter (1).CSV")
	if !ok || got["school_year"] != "2025-26" || got["window"] != "Winter" {
		t.Errorf("got %v %v", got, ok)
	}
	if _, ok := FileNameValues("SM_{school_year}_{window}.csv", "SR_2025-26_Fall.csv"); ok {
		t.Error("SR_ matched SM_")
	}
	if _, _, err := FileNamePattern("SM_{}.csv"); err == nil {
		t.Error("an empty {} part passed")
	}
}

func TestLayoutErrorsAreLocated(t *testing.T) {
	t.Parallel()
	text := `district: D
providers: [{id: p}]
sources:
  - {name: t, kind: assessments, connector: {type: local, path: x}, profile: mine}
profiles:
  mine:
    kind: assessments
    columns: {student_id: ID}
    constants: {assessment: a, subject: math}
    file_name: "X_{term}.csv"
    value_maps: {grde: {Eleven: "11"}}
    wide:
      - placeholder: season
        values: [Fall]
        sets: windw
        columns:
          scale_score: "Score"
          test_date: "{season} Date"
`
	lc, err := config.ParseLocated("/c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ForConfig(lc)
	for _, want := range []string{
		`/c.yaml:10: profiles.mine.file_name: {term} is not a field of assessments files`,
		`/c.yaml:11: profiles.mine.value_maps.grde: "grde" is not a field of assessments files`,
		`/c.yaml:15: profiles.mine.wide[0].sets: "windw" is not a field of assessments files`,
		`/c.yaml:17: profiles.mine.wide[0].columns.scale_score: header "Score" does not contain {season}`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors:\n%v\nwant one containing:\n%s", err, want)
		}
	}
}
