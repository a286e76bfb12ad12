package profile

import (
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/internal/config"
)

// Every built-in profile passes the checks a district's own profile must.
func TestBuiltinProfilesAreValid(t *testing.T) {
	t.Parallel()
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"canonical-assessments", "canonical-roster", "canonical-sessions", "iready-diagnostic", "nwea-map-cdf"}
	if got := strings.Join(set.Names(), ","); got != strings.Join(want, ",") {
		t.Errorf("built-ins %s, want %v", got, want)
	}
	for _, name := range set.Names() {
		p, _ := set.Get(name)
		if errs := check(&config.Locator{}, "profiles."+name, p.Profile); len(errs) > 0 {
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
`
	lc, err := config.ParseLocated("/c.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ForConfig(lc)
	for _, want := range []string{
		`/c.yaml:9: profiles.mine.columns.student_number: "student_number" is not a sessions field`,
		`/c.yaml:10: profiles.mine.status_values.P: expected one of attended, student_absent, tutor_absent, cancelled, got "present"`,
		`/c.yaml:5: sources[1].profile: profile "nwea-map-cdf" reads assessments files but the source is kind roster`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors:\n%v\nwant one containing:\n%s", err, want)
		}
	}
}
