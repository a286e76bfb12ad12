package values

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDate(t *testing.T) {
	t.Parallel()
	chicago, _ := time.LoadLocation("America/Chicago")
	cases := []struct {
		raw, layout string
		loc         *time.Location
		want        string // YYYY-MM-DD, or the problem
	}{
		{"2025-09-03", "", nil, "2025-09-03"},
		{"9/3/2025", "", nil, "2025-09-03"},
		{"09/03/2025", "01/02/2006", nil, "2025-09-03"},
		{"9/3/2025", "01/02/2006", nil, "2025-09-03"},
		{"09-03-25", "01/02/2006", nil, "2025-09-03"}, // an Excel date cell under a CSV profile
		{"9/3/25", "", nil, "2025-09-03"},
		{"09-03-25", "", nil, "2025-09-03"},
		{"45903", "", nil, "2025-09-03"},
		{"45903.625", "", nil, "2025-09-03"},
		{"2025-09-03T01:30:00Z", "", chicago, "2025-09-02"},
		{"2025-09-03T01:30:00Z", "", nil, "2025-09-03"},
		{"2025-09-03 15:30:00", "", nil, "2025-09-03"},
		{"13/45/2025", "01/02/2006", nil, "does not match format MM/DD/YYYY"},
		{"2/30/2025", "", nil, "is not a date hitreflect can read"},
		{"12", "", nil, "is not a date hitreflect can read"},
	}
	for _, c := range cases {
		d, p := Date(c.raw, c.layout, c.loc)
		got := string(p)
		if p == "" {
			got = d.Format("2006-01-02")
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("Date(%q, %q) = %q, want %q", c.raw, c.layout, got, c.want)
		}
	}
}

func TestMinutesClockAndCodes(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]float64{"45": 45, "45.5": 45.5, "0:45": 45, "1:30": 90, "1h 30m": 90, "90 min": 90, "0:45:30": 45.5} {
		if got, p := Minutes(raw); p != "" || got != want {
			t.Errorf("Minutes(%q) = %v %q, want %v", raw, got, p, want)
		}
	}
	for _, raw := range []string{"-5", "0", "abc", "25:00:00x", "1440"} {
		if _, p := Minutes(raw); p == "" {
			t.Errorf("Minutes(%q) accepted", raw)
		}
	}
	for raw, want := range map[string]float64{"15:30": 930, "3:30 PM": 930, "3:30pm": 930, "2025-09-03 15:30:00": 930, "0.5": 720} {
		if got, p := Clock(raw, ""); p != "" || got != want {
			t.Errorf("Clock(%q) = %v %q, want %v", raw, got, p, want)
		}
	}
	for raw, want := range map[string]string{"Fall 2021-2022": "2021-22", "2025-2026": "2025-26", "2025-26": "2025-26", "1999/2000": "1999-00"} {
		if got, p := SchoolYear(raw); p != "" || got != want {
			t.Errorf("SchoolYear(%q) = %q %q, want %q", raw, got, p, want)
		}
	}
	for raw, want := range map[string]string{"Fall 2021-2022": "fall", "Winter (November 16 - March 1)": "winter", "Spring (March 2 - End of Year)": "spring", "EOY": "spring"} {
		if got, p := Window(raw, nil); p != "" || got != want {
			t.Errorf("Window(%q) = %q %q, want %q", raw, got, p, want)
		}
	}
	for raw, want := range map[string]int64{"K": 0, "3": 3, "03": 3, "Grade 5": 5, "8th": 8, "PK": -1, "Eleven": 11, "Kindergarten": 0, "Grade Three": 3, "first": 1} {
		if got, p := Grade(raw); p != "" || got != want {
			t.Errorf("Grade(%q) = %d %q, want %d", raw, got, p, want)
		}
	}
	subjects := map[string]string{"Math*": "math", "Reading*": "ela", "*": "other", "Science*": "skip", "ela/*": "ela", "m?th": "math"}
	for raw, want := range map[string]string{"Math K-12": "math", "Reading K-2": "ela", "Science K-12": "skip", "Science Lab": "skip", "reading": "ela",
		"Reading/Writing": "ela", "ELA/Reading": "ela", "Art": "other", "MATH": "math", "muth": "math"} {
		if got, ok := Lookup(raw, subjects); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, want %q", raw, got, want)
		}
	}
	for layout, want := range map[string]string{"1/2/06 3:04 PM": "M/D/YY h:mm AM/PM", "01/02/2006": "MM/DD/YYYY", "03:04 PM": "hh:mm AM/PM", "2006-01-02 15:04": "YYYY-MM-DD HH:mm"} {
		if got := Describe(layout); got != want {
			t.Errorf("Describe(%q) = %q, want %q", layout, got, want)
		}
	}
}

// The property: no parser panics on any input, and every problem is a
// readable sentence (valid UTF-8, no raw Go error text).
func FuzzParsers(f *testing.F) {
	for _, seed := range []string{"2025-09-03", "9/3/25", "45903", "13/45/2025", "0:45", "1h 30m", "3:30 PM", "Fall 2021-2022",
		"K", "-1e308", "NaN", "Inf", "00123", "\ufeff12", "１２", "99999999999999999999", "1:60", "::", "%", ""} {
		f.Add(seed)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	f.Fuzz(func(t *testing.T, raw string) {
		check := func(name string, p Problem) {
			if p != "" && (!utf8.ValidString(string(p)) || strings.Contains(string(p), "parsing time")) {
				t.Errorf("%s(%q): problem %q is not a plain sentence", name, raw, p)
			}
		}
		_, p := Date(raw, "", chicago)
		check("Date", p)
		_, p = Date(raw, "01/02/2006", nil)
		check("Date/layout", p)
		_, p = Clock(raw, "3:04 PM")
		check("Clock", p)
		m, p := Minutes(raw)
		check("Minutes", p)
		if p == "" && (m <= 0 || m >= 1440) {
			t.Errorf("Minutes(%q) = %v accepted out of range", raw, m)
		}
		_, p = Number(raw)
		check("Number", p)
		_, p = Grade(raw)
		check("Grade", p)
		_, p = SchoolYear(raw)
		check("SchoolYear", p)
		_, p = Window(raw, nil)
		check("Window", p)
		_, _ = Lookup(raw, DefaultStatuses)
		_ = Trim(raw)
	})
}
