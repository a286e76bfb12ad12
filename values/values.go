// Package values reads the raw text of one cell into a canonical value, or
// says in plain words why it cannot. The loader calls these once per distinct
// raw value of a column (a file of a million sessions has a few hundred
// distinct dates), so they favour clear messages over raw speed.
package values

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Problem is why a raw value was not accepted, in words for the data person.
type Problem string

// Trim removes surrounding white space: Unicode space separators (category
// Zs, which includes the no-break space Excel leaves), tabs, line breaks,
// zero-width spaces and stray byte-order marks. The loader's SQL trim of ids
// follows the same rule.
func Trim(s string) string {
	return strings.TrimFunc(s, IsTrimmed)
}

// IsTrimmed says whether Trim removes r from the ends of a value.
func IsTrimmed(r rune) bool {
	return unicode.Is(unicode.Zs, r) || r == '\t' || r == '\r' || r == '\n' || r == '\u200b' || r == '\ufeff'
}

// autoDateLayouts are tried in order when a profile names no date format.
// US month-first order is assumed for slashed dates, as US exports write them.
var autoDateLayouts = []string{
	"2006-01-02",
	"1/2/2006",
	"1/2/06",
	"2006/1/2",
	"1-2-2006",
	"1-2-06", // Excel's short date as spreadsheet libraries render it (09-03-25)
	"Jan 2, 2006",
	"January 2, 2006",
	"2-Jan-2006",
	"2-Jan-06",
}

// Date reads a calendar date. layout is a Go layout (01/02/2006) or empty for
// automatic detection. Besides the layout it accepts ISO timestamps (with a
// zone they are turned into the district's local date when loc is set, else
// the date as written) and Excel serial numbers.
func Date(raw, layout string, loc *time.Location) (time.Time, Problem) {
	s := Trim(raw)
	if s == "" {
		return time.Time{}, "is empty"
	}
	if layout != "" {
		if t, ok := parseLenient(layout, s); ok {
			return t, ""
		}
	} else {
		for _, l := range autoDateLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, ""
			}
		}
	}
	if t, ok := timestampDate(s, loc); ok {
		return t, ""
	}
	if t, ok := excelSerial(s); ok {
		return t, ""
	}
	if layout != "" {
		return time.Time{}, Problem(fmt.Sprintf("does not match format %s", Describe(layout)))
	}
	return time.Time{}, "is not a date hitreflect can read (expected e.g. 2025-09-03, 9/3/2025, 9/3/25, an Excel date number or a timestamp)"
}

// parseLenient parses with layout, and also with its unpadded twin so that
// 01/02/2006 accepts 9/3/2025 as well as 09/03/2025.
func parseLenient(layout, s string) (time.Time, bool) {
	if t, err := time.Parse(layout, s); err == nil {
		return t, true
	}
	loose := strings.NewReplacer("01", "1", "02", "2", "03", "3", "04", "4", "05", "5").Replace(layout)
	if loose != layout {
		if t, err := time.Parse(loose, s); err == nil {
			return t, true
		}
	}
	// A date cell of an Excel workbook arrives as the library renders
	// Excel's short date (06-01-26), whatever the profile says for the CSV
	// export: the same order with dashes and a two-digit year is accepted.
	if dashed := strings.NewReplacer("/", "-", "2006", "06").Replace(loose); dashed != loose {
		if t, err := time.Parse(dashed, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
}

var localTimestampLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02 15:04:05.999999999",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04 PM",
	"1/2/06 15:04",
	"1/2/06 3:04 PM",
}

// timestampDate reads a timestamp and keeps its date: with a zone, in the
// district's time zone when loc is set.
func timestampDate(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if loc != nil {
				t = t.In(loc)
			}
			return dateOnly(t), true
		}
	}
	for _, l := range localTimestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return dateOnly(t), true
		}
	}
	return time.Time{}, false
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelSerial reads Excel's day numbers (45903 is 2025-09-03); only the range
// 1990-2100 is accepted, so that a stray small number is not taken for a date.
func excelSerial(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 32874 || f > 73415 {
		return time.Time{}, false
	}
	return excelEpoch.AddDate(0, 0, int(math.Floor(f))), true
}

var autoTimeLayouts = []string{"15:04", "15:04:05", "3:04 PM", "3:04PM", "3:04:05 PM", "3:04 pm", "3:04pm", "3PM", "3 PM", "15:04:05.999999"}

// Clock reads a time of day and returns minutes after midnight. It accepts
// a date and time together (only the time is kept) and Excel day fractions.
func Clock(raw, layout string) (float64, Problem) {
	s := Trim(raw)
	if s == "" {
		return 0, "is empty"
	}
	layouts := autoTimeLayouts
	if layout != "" {
		layouts = append([]string{layout}, autoTimeLayouts...)
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, strings.ToUpper(s)); err == nil {
			return float64(t.Hour()*60+t.Minute()) + float64(t.Second())/60, ""
		}
		if t, err := time.Parse(l, s); err == nil {
			return float64(t.Hour()*60+t.Minute()) + float64(t.Second())/60, ""
		}
	}
	for _, l := range append(append([]string{}, timestampLayouts...), localTimestampLayouts...) {
		if t, err := time.Parse(l, s); err == nil {
			return float64(t.Hour()*60+t.Minute()) + float64(t.Second())/60, ""
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1 {
		return math.Round(f*24*60*100) / 100, ""
	}
	if layout != "" {
		return 0, Problem(fmt.Sprintf("does not match format %s", Describe(layout)))
	}
	return 0, "is not a time of day (expected e.g. 15:30 or 3:30 PM)"
}

var hmm = regexp.MustCompile(`^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$`)
var hoursMinutes = regexp.MustCompile(`^(?i)(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:in(?:utes?|s)?)?)?$`)

// Minutes reads a duration: plain minutes (45, 45.5), h:mm (0:45, 1:30) or
// 1h 30m. Durations must be positive and under a day.
func Minutes(raw string) (float64, Problem) {
	s := Trim(raw)
	if s == "" {
		return 0, "is empty"
	}
	var m float64
	switch {
	case hmm.MatchString(s):
		g := hmm.FindStringSubmatch(s)
		h, _ := strconv.Atoi(g[1])
		mm, _ := strconv.Atoi(g[2])
		m = float64(h*60 + mm)
		if g[3] != "" {
			sec, _ := strconv.Atoi(g[3])
			m += float64(sec) / 60
		}
	default:
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err == nil {
			m = f
			break
		}
		g := hoursMinutes.FindStringSubmatch(s)
		if g == nil || (g[1] == "" && g[2] == "") {
			return 0, "is not a duration (expected minutes such as 45, or h:mm such as 0:45)"
		}
		h, _ := strconv.ParseFloat(g[1], 64)
		mm, _ := strconv.ParseFloat(g[2], 64)
		m = h*60 + mm
	}
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return 0, "is not a duration (expected minutes such as 45, or h:mm such as 0:45)"
	}
	if m <= 0 {
		return 0, "is not a positive number of minutes"
	}
	if m >= 24*60 {
		return 0, "is a day or longer, which no session lasts"
	}
	return m, ""
}

// Number reads a decimal number, allowing thousands separators and a trailing %.
func Number(raw string) (float64, Problem) {
	s := strings.TrimSuffix(strings.ReplaceAll(Trim(raw), ",", ""), "%")
	if s == "" {
		return 0, "is empty"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "is not a number"
	}
	return f, ""
}

// Integer reads a whole number (3, 3.0).
func Integer(raw string) (int64, Problem) {
	f, p := Number(raw)
	if p != "" {
		return 0, "is not a whole number"
	}
	if f != math.Trunc(f) || math.Abs(f) > 1e12 {
		return 0, "is not a whole number"
	}
	return int64(f), ""
}

// Percentile reads a percentile rank from 0 to 100.
func Percentile(raw string) (float64, Problem) {
	f, p := Number(raw)
	if p != "" {
		return 0, p
	}
	if f < 0 || f > 100 {
		return 0, "is not a percentile from 0 to 100"
	}
	return f, ""
}

// Grade reads a grade level: K (0), PK (-1), 3, 3rd, Grade 3, 03.
func Grade(raw string) (int64, Problem) {
	s := strings.ToUpper(Trim(raw))
	s = strings.TrimPrefix(s, "GRADE")
	s = strings.TrimSpace(s)
	switch s {
	case "K", "KG", "KN", "KINDERGARTEN", "0K":
		return 0, ""
	case "PK", "PREK", "PRE-K", "P", "TK", "PREKINDERGARTEN", "PRE-KINDERGARTEN", "TRANSITIONAL KINDERGARTEN":
		return -1, ""
	}
	if g, ok := gradeWords[s]; ok {
		return g, ""
	}
	for _, suffix := range []string{"ST", "ND", "RD", "TH"} {
		s = strings.TrimSuffix(s, suffix)
	}
	g, err := strconv.Atoi(s)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) {
			g, err = int(f), nil
		}
	}
	if err != nil || g < -1 || g > 12 {
		return 0, "is not a grade (expected PK, K or 1-12)"
	}
	return int64(g), ""
}

// gradeWords are grades written as words (FastBridge writes "Eleven").
var gradeWords = map[string]int64{
	"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8,
	"NINE": 9, "TEN": 10, "ELEVEN": 11, "TWELVE": 12,
	"FIRST": 1, "SECOND": 2, "THIRD": 3, "FOURTH": 4, "FIFTH": 5, "SIXTH": 6, "SEVENTH": 7,
	"EIGHTH": 8, "NINTH": 9, "TENTH": 10, "ELEVENTH": 11, "TWELFTH": 12,
}

// Flag reads a yes/no flag.
func Flag(raw string) (bool, Problem) {
	switch strings.ToLower(Trim(raw)) {
	case "y", "yes", "true", "t", "1", "x":
		return true, ""
	case "n", "no", "false", "f", "0":
		return false, ""
	}
	return false, "is not a yes/no value (expected Y/N, Yes/No, TRUE/FALSE or 1/0)"
}

var yearSpan = regexp.MustCompile(`(\d{4})\s*[-/–]\s*(\d{2,4})`)

// SchoolYear reads a school year in any usual spelling (2025-26, 2025-2026,
// "Fall 2025-2026", 2025/26) and writes it YYYY-YY.
func SchoolYear(raw string) (string, Problem) {
	s := Trim(raw)
	g := yearSpan.FindStringSubmatch(s)
	if g == nil {
		return "", "is not a school year (expected e.g. 2025-26 or 2025-2026)"
	}
	start, _ := strconv.Atoi(g[1])
	end, _ := strconv.Atoi(g[2])
	if len(g[2]) == 2 {
		end += start / 100 * 100
		if end < start {
			end += 100
		}
	}
	if end != start+1 {
		return "", "is not a school year (the second year must follow the first)"
	}
	return fmt.Sprintf("%d-%02d", start, end%100), ""
}

// SchoolYearOf is the school year a date falls in; a year starts on July 1.
func SchoolYearOf(d time.Time) string {
	start := d.Year()
	if d.Month() < time.July {
		start--
	}
	return fmt.Sprintf("%d-%02d", start, (start+1)%100)
}

// Lookup maps a raw code to a canonical value through a profile's map.
// Keys match without regard to case or surrounding space, and may be
// patterns where * stands for any text (slashes included) and ? for one
// character. An exact key wins over a pattern; among patterns the one with
// the most literal characters wins, so "Science*" beats a catch-all "*".
func Lookup(raw string, m map[string]string) (string, bool) {
	s := strings.ToLower(Trim(raw))
	best, bestScore, bestKey := "", -1, ""
	for k, v := range m {
		key := strings.ToLower(Trim(k))
		score := -1
		switch {
		case key == s:
			score = 1 << 30
		case strings.ContainsAny(key, "*?") && globMatch(key, s):
			score = len(key) - strings.Count(key, "*") - strings.Count(key, "?")
		}
		// Ties (equally specific patterns) go to the smaller key, so the
		// result never depends on map order.
		if score > bestScore || (score == bestScore && score >= 0 && key < bestKey) {
			best, bestScore, bestKey = v, score, key
		}
	}
	return best, bestScore >= 0
}

// globMatch matches s against a pattern of literal text, * and ?.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	star, match := -1, 0
	i, j := 0, 0
	for j < len(t) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == t[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, match = i, j
			i++
		case star >= 0:
			i, match = star+1, match+1
			j = match
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// DefaultStatuses are the attendance codes understood without a profile map.
var DefaultStatuses = map[string]string{
	"attended": "attended", "present": "attended", "p": "attended", "1": "attended", "y": "attended", "yes": "attended", "completed": "attended", "attended session": "attended",
	"student_absent": "student_absent", "absent": "student_absent", "a": "student_absent", "0": "student_absent", "n": "student_absent", "no": "student_absent", "no show": "student_absent", "no-show": "student_absent", "student absent": "student_absent", "student no show": "student_absent",
	"tutor_absent": "tutor_absent", "tutor absent": "tutor_absent", "t": "tutor_absent", "ta": "tutor_absent", "tutor no show": "tutor_absent",
	"cancelled": "cancelled", "canceled": "cancelled", "c": "cancelled", "cx": "cancelled", "tutor cancelled": "cancelled", "tutor canceled": "cancelled", "provider cancelled": "cancelled", "school closed": "cancelled",
}

// DefaultSubjects are the subject names understood without a profile map.
var DefaultSubjects = map[string]string{
	"math": "math", "mathematics": "math", "maths": "math", "math k-12": "math", "algebra*": "math", "geometry*": "math",
	"ela": "ela", "reading": "ela", "english": "ela", "english language arts": "ela", "language arts": "ela", "literacy": "ela", "reading*": "ela", "ela/reading": "ela",
	"other": "other",
}

// DefaultModalities are the modality values understood without a profile map.
var DefaultModalities = map[string]string{
	"in_person": "in_person", "in person": "in_person", "in-person": "in_person", "inperson": "in_person", "onsite": "in_person", "on site": "in_person", "f2f": "in_person", "face to face": "in_person",
	"virtual": "virtual", "online": "virtual", "remote": "virtual", "zoom": "virtual",
}

// Window finds the testing window in a term name ("Fall 2021-2022",
// "Winter (November 16 - March 1)", "BOY"), with the profile's map first.
func Window(raw string, m map[string]string) (string, Problem) {
	if v, ok := Lookup(raw, m); ok {
		return v, ""
	}
	s := strings.ToLower(Trim(raw))
	for _, w := range []struct{ word, window string }{
		{"fall", "fall"}, {"autumn", "fall"}, {"boy", "fall"}, {"beginning of year", "fall"},
		{"winter", "winter"}, {"moy", "winter"}, {"middle of year", "winter"}, {"mid-year", "winter"},
		{"spring", "spring"}, {"eoy", "spring"}, {"end of year", "spring"},
	} {
		if strings.HasPrefix(s, w.word) || strings.Contains(s, " "+w.word) {
			return w.window, ""
		}
	}
	return "", "is not a testing window (expected a term such as Fall, Winter or Spring)"
}

// Describe writes a Go date/time layout the way a spreadsheet user reads it:
// 01/02/2006 -> MM/DD/YYYY, 3:04 PM -> h:mm AM/PM.
func Describe(layout string) string {
	r := strings.NewReplacer(
		"2006", "YYYY", "06", "YY",
		"January", "Month", "Jan", "Mon",
		"01", "MM", "02", "DD", "15", "HH", "03", "hh", "04", "mm", "05", "ss",
		"PM", "AM/PM", "pm", "am/pm", "MST", "zone", "Z07:00", "±hh:mm", "-0700", "±hhmm",
	)
	out := r.Replace(layout)
	// Single-digit elements, done after the two-digit ones so they don't collide.
	var b strings.Builder
	for i := 0; i < len(out); i++ {
		c := out[i]
		prevDigit := i > 0 && out[i-1] >= '0' && out[i-1] <= '9'
		nextDigit := i+1 < len(out) && out[i+1] >= '0' && out[i+1] <= '9'
		if !prevDigit && !nextDigit {
			switch c {
			case '1':
				b.WriteString("M")
				continue
			case '2':
				b.WriteString("D")
				continue
			case '3':
				b.WriteString("h")
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
