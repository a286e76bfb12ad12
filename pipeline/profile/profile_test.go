package profile

import (
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/config"
)

// Every built-in profile passes the checks a district's own profile must.
func TestBuiltinProfilesAreValid(t *testing.T) {
	t.Parallel()
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"canonical-assessments", "canonical-roster", "canonical-sessions", "dibels8-benchmark", "fastbridge", "iready-diagnostic", "istation-isip", "map-fluency", "nwea-map-cdf", "oneroster", "renaissance-star"}
	if got := strings.Join(set.Names(), ","); got != strings.Join(want, ",") {
		t.Errorf("built-ins %s, want %v", got, want)
	}
	for _, name := range set.Names() {
		p, _ := set.Get(name)
		if errs := check(&config.Locator{}, nil, "profiles."+name, p.Profile); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestProfileErrorsAreLocated(t *testing.T) {
	t.Parallel()
	text := `district: D
providers: [{id: p}]
sources:
  - {name: s, kind: sessions, provider: p, connector: {type: local, path: x}, profile: mine}
  - {name: t, kind: roster, connector: {type: local, path: x}, profile: nwea-map-cdf}
profiles:
  mine:
    extends: canonical-sessions
    columns: {student_number: Student}
    status_values: {P: present}
    constants: {group_size: four}
`
	lc, err := config.ParseLocated("/c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ForConfig(lc)
	for _, want := range []string{
		`/c.yaml:9: profiles.mine.columns.student_number: "student_number" is not a field of sessions files`,
		`/c.yaml:10: profiles.mine.status_values.P: expected one of attended, student_absent, tutor_absent, cancelled, got "present"`,
		`/c.yaml:11: profiles.mine.constants.group_size: group_size "four" is not a whole number`,
		`/c.yaml:5: sources[1].profile: profile "nwea-map-cdf" reads assessments files but the source is kind roster`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors:\n%v\nwant one containing:\n%s", err, want)
		}
	}
}

// A profile may extend another of the config's own, named in any order.
func TestExtendsResolvesInAnyOrder(t *testing.T) {
	t.Parallel()
	text := `district: D
providers: [{id: p}]
sources:
  - {name: s, kind: sessions, provider: p, connector: {type: local, path: x}, profile: a-child}
profiles:
  a-child:
    extends: z-base
    date_format: 1/2/06
  z-base:
    extends: canonical-sessions
    status_values: {Y: attended}
  loop-a: {extends: loop-b}
  loop-b: {extends: loop-a}
`
	lc, err := config.ParseLocated("/c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ForConfig(lc)
	if err == nil || !strings.Contains(err.Error(), "extends itself") {
		t.Fatalf("a loop of extends was not reported: %v", err)
	}
	if strings.Contains(err.Error(), "a-child") || strings.Contains(err.Error(), "z-base") {
		t.Errorf("a good chain was reported: %v", err)
	}
	lc.Profiles = map[string]config.Profile{"a-child": lc.Profiles["a-child"], "z-base": lc.Profiles["z-base"]}
	set, err := ForConfig(lc)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := set.Get("a-child")
	if p.Kind != "sessions" || p.DateFormat != "1/2/06" || p.StatusValues["Y"] != "attended" || p.Columns["student_id"].First() != "student_id" {
		t.Errorf("a-child resolved to %+v", p.Profile)
	}
}
