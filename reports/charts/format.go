package charts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// pct writes a rate (a proportion) as the metrics table does on screen:
// whole percentages, with one decimal between 0% and 1% and between 99%
// and 100%, so 99.6% is not rounded to 100%.
func pct(r float64) string {
	p := r * 100
	if (p > 0 && p < 1) || (p > 99 && p < 100) {
		s := strconv.FormatFloat(p, 'f', 1, 64)
		if s == "100.0" { // 99.96% and up
			s = "99.9"
		}
		if s == "0.0" {
			s = "0.1"
		}
		return s + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

// count writes a whole number with thousands separators: 2,574.
func count(n float64) string {
	neg := n < 0
	s := strconv.FormatFloat(math.Abs(math.Round(n)), 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// money writes an amount: whole units with separators, cents under 100.
func money(sym string, x float64) string {
	if math.Abs(x) < 100 {
		return sym + strconv.FormatFloat(x, 'f', 2, 64)
	}
	return sym + count(x)
}

// sd writes an effect in standard deviations, two decimals, signed.
func sd(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	if s == "-0.00" {
		s = "0.00"
	}
	if x > 0 && s != "0.00" {
		s = "+" + s
	}
	return s
}

// minutes writes a number of minutes, whole.
func minutes(x float64) string { return count(x) }

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// weekLabel writes a week's Monday for readers: "Mar 2".
func weekLabel(d time.Time) string { return d.Format("Jan 2") }

// withheldNotes says how many rows are withheld and why, one note per
// reason in the order they first appear: "Withheld: 2 groups with fewer
// than 10 students".
func withheldNotes(rows []metrics.Row, one, many string) []string {
	var order []string
	n := map[string]int{}
	for _, r := range rows {
		if r.Suppressed == "" {
			continue
		}
		if n[r.Suppressed] == 0 {
			order = append(order, r.Suppressed)
		}
		n[r.Suppressed]++
	}
	var out []string
	for _, why := range order {
		out = append(out, fmt.Sprintf("Withheld: %d %s %s", n[why], plural(n[why], one, many), reasonPhrase(why)))
	}
	return out
}

// reasonPhrase turns a withholding reason into the end of a sentence:
// "fewer than 10 students" -> "with fewer than 10 students".
func reasonPhrase(why string) string {
	why = strings.TrimPrefix(why, "withheld ")
	if strings.HasPrefix(why, "fewer ") {
		return "with " + why
	}
	return why
}

// gapText is what a withheld slot says on the chart.
func gapText(why string) string {
	why = strings.TrimPrefix(why, "withheld ")
	if strings.HasPrefix(why, "so that") {
		return "withheld (protects a smaller group)"
	}
	return "withheld: " + why
}

// nLine writes the n behind a chart from the table's total row, else from
// the rows shown. In a school's or a provider's packet the total row is the
// district's: the rows shown are counted, and the district's n follows.
func nLine(v *view, o Options, what string) string {
	tot, hasTotal := v.total()
	// Week by week, the rows count the same students again each week: only
	// the total says how many there were, and when scoped it is the district's.
	_, weekly := v.col["week"]
	if hasTotal && o.Scope != "" && weekly && tot.Suppressed == "" {
		return fmt.Sprintf("n = %s %s in the district", count(float64(tot.N)), what)
	}
	if hasTotal && o.Scope == "" {
		if tot.Suppressed != "" {
			return "n withheld (" + tot.Suppressed + ")"
		}
		return fmt.Sprintf("n = %s %s", count(float64(tot.N)), what)
	}
	var sum int64
	for _, r := range v.groups() {
		if r.Suppressed == "" {
			sum += r.N
		}
	}
	line := fmt.Sprintf("n = %s %s in the groups shown", count(float64(sum)), what)
	if hasTotal && tot.Suppressed == "" {
		line += fmt.Sprintf(" (the district: %s)", count(float64(tot.N)))
	}
	return line
}

// label finds a display name: the map's, else the id.
func label(names map[string]string, id string) string {
	if n, ok := names[id]; ok && n != "" {
		return n
	}
	return id
}

// subjectLabel names a subject for readers.
func (o *Options) subjectLabel(id string) string {
	if n, ok := o.Subjects[id]; ok && n != "" {
		return n
	}
	switch strings.ToLower(id) {
	case "ela":
		return "ELA"
	case "math":
		return "Math"
	case "":
		return "no subject"
	}
	return capitalize(id)
}

// capitalize starts a sentence with a capital.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst lowers a name's first letter, for the middle of a sentence.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// isUpper says whether a name is written in capitals (an acronym: ELA).
func isUpper(s string) bool {
	return s == strings.ToUpper(s)
}
