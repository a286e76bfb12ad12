package ingest

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/values"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// fieldSource says where one canonical field comes from in this file.
type fieldSource struct {
	profile.Field
	index    int     // column index in the file, -1 when not a column
	header   string  // the file's header for it
	constant *string // a constant (or header constant) value
}

type columnMap struct {
	fields          []fieldSource
	dropped         []string
	unknown         []string
	missingOptional []string
}

func (m *columnMap) get(name string) fieldSource {
	for _, f := range m.fields {
		if f.Name == name {
			return f
		}
	}
	return fieldSource{index: -1}
}

// personalData spots headers that hold students' names, birth dates or
// addresses (compared lower-case with spaces and underscores removed). Such
// columns are never read; the load reports them as dropped.
var personalData = regexp.MustCompile(`^(student|first|last|middle|full|preferred|legal|given|family|sur|studentfirst|studentlast)?name$|^(first|last)$|birth|^dob$|address|street|^city$|^zip|postal|e?mail|phone|^username$|^login|guardian|parent`)

func looksPersonal(header string) bool {
	return personalData.MatchString(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(header)))
}

// mapColumns finds each profile column among the file's headers. A missing
// required column rejects the file, with the headers found and the closest
// match for each missing one.
func mapColumns(p profile.Profile, prep *Prepared) (*columnMap, error) {
	index := map[string]int{}
	for i, h := range prep.Headers {
		n := normalizeHeader(h)
		if _, dup := index[n]; !dup {
			index[n] = i
		}
	}
	m := &columnMap{}
	used := map[int]bool{}
	var missing []string
	for _, f := range profile.Fields(p.Kind) {
		fs := fieldSource{Field: f, index: -1}
		if header, ok := p.Columns[f.Name]; ok {
			if i, found := index[normalizeHeader(header)]; found {
				fs.index, fs.header = i, prep.Headers[i]
				used[i] = true
			} else if f.Required && p.Constants[f.Name] == "" && !derivable(p, f.Name, index) {
				missing = append(missing, fmt.Sprintf("%q (for %s)%s", header, f.Name, didYouMean(header, prep.Headers)))
			} else {
				m.missingOptional = append(m.missingOptional, header)
			}
		}
		if fs.index < 0 {
			if v, ok := p.Constants[f.Name]; ok {
				fs.constant = &v
			}
			// A field decided by which header the file has: sorted, so the
			// outcome never depends on map order; two answers reject the file.
			headers := make([]string, 0, len(p.HeaderConstants[f.Name]))
			for h := range p.HeaderConstants[f.Name] {
				headers = append(headers, h)
			}
			sort.Strings(headers)
			var decidedBy string
			for _, header := range headers {
				i, found := index[normalizeHeader(header)]
				if !found {
					continue
				}
				v := p.HeaderConstants[f.Name][header]
				if fs.constant != nil && *fs.constant != v {
					return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
						"the file has both %q and %q headers, which give %s different values (%q and %q); which is it?",
						decidedBy, header, f.Name, *fs.constant, v)}
				}
				fs.constant, decidedBy = &v, header
				used[i] = true
			}
			if f.Required && fs.constant == nil && p.Columns[f.Name] == "" && !derivable(p, f.Name, index) {
				missing = append(missing, fmt.Sprintf("%s (no column, constant or header constant gives it)", f.Name))
			}
		}
		m.fields = append(m.fields, fs)
	}
	for i, h := range prep.Headers {
		if used[i] || values.Trim(h) == "" {
			continue
		}
		if looksPersonal(h) {
			m.dropped = append(m.dropped, h)
		} else {
			m.unknown = append(m.unknown, h)
		}
	}
	if len(missing) > 0 {
		hint := ""
		if prep.Encoding == "xlsx" {
			hint = fmt.Sprintf(" (read from sheet %q of %s; is it the right sheet? Set sheet: in the profile)", prep.Sheet, quoteList(prep.Sheets, 10))
		} else if len(prep.Headers) == 1 {
			hint = fmt.Sprintf(" (only one column was found, split on %q: is that the file's delimiter? Set delimiter: in the profile)", string(prep.Delimiter))
		}
		return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
			"missing required column %s; headers found on line %d: %s%s",
			strings.Join(missing, ", "), prep.HeaderLine, quoteList(prep.Headers, 40), hint)}
	}
	return m, nil
}

// derivable says whether a missing field can be worked out from columns the
// file does have (see profile.Derivable).
func derivable(p profile.Profile, field string, index map[string]int) bool {
	if !profile.Derivable(p.Profile, field) {
		return false
	}
	has := func(f string) bool { _, ok := index[normalizeHeader(p.Columns[f])]; return ok }
	if field == "duration_minutes" {
		return has("start_time") && has("end_time")
	}
	return has("test_date")
}

func quoteList(items []string, max int) string {
	var q []string
	for i, s := range items {
		if i == max {
			q = append(q, fmt.Sprintf("… (%d more)", len(items)-max))
			break
		}
		q = append(q, fmt.Sprintf("%q", s))
	}
	return strings.Join(q, ", ")
}

// didYouMean names the header closest to want, when one is close enough.
func didYouMean(want string, headers []string) string {
	if len(headers) < 2 {
		return "" // one long header is a delimiter problem, not a spelling one
	}
	w := normalizeHeader(want)
	type cand struct {
		h string
		d int
	}
	var cands []cand
	for _, h := range headers {
		n := normalizeHeader(h)
		d := editDistance(w, n)
		squashed := strings.ReplaceAll(n, " ", "") == strings.ReplaceAll(w, " ", "")
		if squashed {
			d = 0
		}
		if d <= max(2, len(w)/3) || strings.Contains(n, w) || strings.Contains(w, n) && len(n) > 3 {
			cands = append(cands, cand{h, d})
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	return fmt.Sprintf(" (did you mean %q?)", cands[0].h)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
