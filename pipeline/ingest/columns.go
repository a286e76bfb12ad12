package ingest

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/values"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// fieldSource says where one canonical field comes from in this file.
type fieldSource struct {
	profile.Field
	index    int     // >= 0 when raw holds the field (its first column in the file; 0 for a wide block's)
	header   string  // the file's header for it
	constant *string // a constant (or header constant, or file name part) value
	parsed   bool    // read through the Go readers, once per distinct value
	// indexes are the columns the field may sit in; the first non-empty wins.
	indexes []int
	// For a field of a wide block: each block's columns (none when the
	// block lacks it) and headers, or the value each block sets.
	blockIndexes [][]int
	blockHeaders []string
	blockSets    []string
	// join is the profile join: (index) that fills the field, -1 for none.
	join    int
	joinCol string
}

// joinUse is one of the profile's joins as this file has it.
type joinUse struct {
	config.Join
	path   string // the file joined; "" when an optional one is missing
	keyIdx []int  // this file's key columns, first non-empty wins
}

// whereUse is one rows_where: condition: a column of the file, or a
// column a join fills.
type whereUse struct {
	name    string
	values  []string
	idx     []int
	join    int // -1 when from the file
	joinCol string
}

type columnMap struct {
	fields          []fieldSource
	dropped         []string
	droppedBecause  []string // the personal-data rule that dropped each
	unknown         []string
	missingOptional []string
	// blocks are the wide layout's blocks present in the file (at least one
	// of their columns is); none for a plain layout.
	blocks       []profile.Block
	schoolByName bool
	joins        []joinUse
	where        []whereUse
}

func (m *columnMap) get(name string) fieldSource {
	for _, f := range m.fields {
		if f.Name == name {
			return f
		}
	}
	return fieldSource{index: -1, join: -1}
}

// mapColumns finds each profile column among the file's headers. A missing
// required column rejects the file, with the headers found and the closest
// match for each missing one. name is the file's name as received, read
// against a profile's file_name pattern.
func mapColumns(p profile.Profile, prep *Prepared, cfg *config.Config, name string) (*columnMap, error) {
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
	// find lists the columns of the headers present in the file, in order.
	find := func(hs config.Headers) (idx []int, found []string) {
		for _, h := range hs {
			if i, ok := index[normalizeHeader(h)]; ok && !slices.Contains(idx, i) {
				idx = append(idx, i)
				found = append(found, prep.Headers[i])
			}
		}
		return idx, found
	}
	// The wide blocks this file has: a block none of whose columns is in
	// the file (a window not tested yet) is not read.
	all := profile.Blocks(p.Profile)
	for _, b := range all {
		for _, hs := range b.Columns {
			if idx, _ := find(hs); len(idx) > 0 {
				m.blocks = append(m.blocks, b)
				break
			}
		}
	}
	if len(all) > 0 && len(m.blocks) == 0 {
		var want []string
		for _, b := range all {
			for _, hs := range b.Columns {
				want = append(want, hs...)
			}
		}
		slices.Sort(want)
		return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
			"none of the profile's repeated columns is in the file (such as %s); headers found on line %d: %s",
			quoteList(slices.Compact(want), 6), prep.HeaderLine, quoteList(prep.Headers, 40))}
	}
	var fromName map[string]string
	if p.FileName != "" {
		base := filepath.Base(strings.ReplaceAll(name, `\`, "/"))
		if q := strings.IndexByte(base, '?'); q > 0 {
			base = base[:q] // an https address's query
		}
		var ok bool
		if fromName, ok = profile.FileNameValues(p.FileName, base); !ok {
			_, parts, _ := profile.FileNamePattern(p.FileName)
			return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
				"the file's name %q does not fit the profile's file_name pattern %q (which gives %s)", base, p.FileName, strings.Join(parts, ", "))}
		}
	}
	// Joined files: found beside the file (or in its zip), keyed by columns
	// of this one.
	for _, j := range p.Join {
		ju := joinUse{Join: j}
		idx, _ := find(j.Key)
		if len(idx) == 0 {
			return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
				"the profile joins %s by %s, which is not a column of the file; headers found on line %d: %s",
				j.File, quoteList(j.Key, 4), prep.HeaderLine, quoteList(prep.Headers, 40))}
		}
		ju.keyIdx = idx
		for _, i := range idx {
			used[i] = true
		}
		ju.path = findBeside(prep.JoinDir, j.File)
		if ju.path == "" && !j.Optional {
			return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
				"the profile joins %s, which is not beside the file (in %s)", j.File, prep.JoinDir)}
		}
		m.joins = append(m.joins, ju)
	}
	for _, name := range slices.Sorted(maps.Keys(p.RowsWhere)) {
		wu := whereUse{name: name, values: p.RowsWhere[name], join: -1}
		if idx, _ := find(config.Headers{name}); len(idx) > 0 {
			wu.idx = idx
			used[idx[0]] = true
		} else {
			for ji, ju := range m.joins {
				if hs, ok := ju.Columns[name]; ok && ju.path != "" {
					wu.join, wu.joinCol = ji, hs.First()
					break
				}
			}
			if wu.join < 0 {
				return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
					"rows_where: names %q, which is not a column of the file nor of a file it joins; headers found on line %d: %s",
					name, prep.HeaderLine, quoteList(prep.Headers, 40))}
			}
		}
		m.where = append(m.where, wu)
	}
	for _, f := range profile.Fields(p.Kind) {
		fs := fieldSource{Field: f, index: -1, join: -1}
		fs.parsed = needsParsing(f.Type) || len(p.ValueMaps[f.Name]) > 0
		if hs, ok := p.Columns[f.Name]; ok {
			if idx, found := find(hs); len(idx) > 0 {
				fs.index, fs.indexes, fs.header = idx[0], idx, strings.Join(found, " / ")
				for _, i := range idx {
					used[i] = true
				}
			} else if f.Required && p.Constants[f.Name] == "" && fromName[f.Name] == "" && !derivable(p, f.Name, index) {
				missing = append(missing, fmt.Sprintf("%s (for %s)%s", quoteList(hs, 4), f.Name, didYouMean(hs.First(), prep.Headers)))
			} else {
				m.missingOptional = append(m.missingOptional, strings.Join(hs, " / "))
			}
		}
		if fs.index < 0 {
			for ji, ju := range m.joins {
				if hs, ok := ju.Columns[f.Name]; ok && ju.path != "" {
					fs.index, fs.join, fs.joinCol = 0, ji, hs.First()
					fs.header = fmt.Sprintf("%s: %s", ju.File, hs.First())
					break
				}
			}
		}
		if fs.index < 0 && len(m.blocks) > 0 && profile.InWide(p.Profile, f.Name) {
			present := false
			for _, b := range m.blocks {
				if v, ok := b.Sets[f.Name]; ok {
					fs.blockSets = append(fs.blockSets, v)
					present = true
					continue
				}
				idx, found := find(b.Columns[f.Name])
				fs.blockIndexes = append(fs.blockIndexes, idx)
				fs.blockHeaders = append(fs.blockHeaders, strings.Join(found, " / "))
				for _, i := range idx {
					used[i] = true
				}
				present = present || len(idx) > 0
			}
			if present {
				fs.index, fs.header = 0, f.Name
			}
		}
		if fs.index < 0 {
			if v, ok := p.Constants[f.Name]; ok {
				fs.constant = &v
			}
			if v, ok := fromName[f.Name]; ok && fs.constant == nil {
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
			if f.Required && fs.constant == nil && len(p.Columns[f.Name]) == 0 && !derivable(p, f.Name, index) && !profile.InWide(p.Profile, f.Name) && !profile.InJoin(p.Profile, f.Name) {
				missing = append(missing, fmt.Sprintf("%s (no column, constant or header constant gives it)", f.Name))
			}
		}
		m.fields = append(m.fields, fs)
	}
	// A file that names its schools only by name: the config's schools
	// list gives their ids.
	if sid, sname := m.get("school_id"), m.get("school_name"); sid.index < 0 && sid.constant == nil && sname.index >= 0 && cfg != nil && len(cfg.Schools) > 0 {
		m.schoolByName = true
		for i := range m.fields {
			if m.fields[i].Name == "school_name" {
				m.fields[i].parsed = true
			}
		}
	}
	keep := map[string]bool{}
	for _, h := range p.KeepColumns {
		keep[normalizeHeader(h)] = true
	}
	var personal []string
	for i, h := range prep.Headers {
		if values.Trim(h) == "" {
			continue
		}
		rule := ""
		if !keep[normalizeHeader(h)] {
			rule = profile.PersonalData(h)
		}
		switch {
		case used[i] && rule != "":
			personal = append(personal, fmt.Sprintf("%q looks like %s", h, rule))
		case used[i]:
		case rule != "":
			m.dropped = append(m.dropped, h)
			m.droppedBecause = append(m.droppedBecause, rule)
		default:
			m.unknown = append(m.unknown, h)
		}
	}
	if len(personal) > 0 {
		return m, &FileError{File: prep.Original, Reason: fmt.Sprintf(
			"the profile maps a column that looks like personal data, which is never stored: %s (if it is not, list it under keep_columns: in the profile)",
			strings.Join(personal, "; "))}
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
	has := func(f string) bool {
		for _, h := range p.Columns[f] {
			if _, ok := index[normalizeHeader(h)]; ok {
				return true
			}
		}
		return profile.InWide(p.Profile, f)
	}
	if field == "duration_minutes" {
		return has("start_time") && has("end_time")
	}
	return has("test_date")
}

func quoteList(items []string, max int) string { return strings.Join(profile.Quoted(items, max), ", ") }

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

// findBeside finds name in dir, without regard to case.
func findBeside(dir, name string) string {
	if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
		return filepath.Join(dir, name)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(e.Name(), name) {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

// describe says where each field comes from, for check.
func (m *columnMap) describe(width int) []string {
	var out []string
	for _, f := range m.fields {
		var from string
		switch {
		case f.blockSets != nil || f.blockIndexes != nil:
			var parts []string
			for b, blk := range m.blocks {
				switch {
				case f.blockSets != nil:
					parts = append(parts, fmt.Sprintf("%q", f.blockSets[b]))
				case f.blockHeaders[b] != "":
					parts = append(parts, fmt.Sprintf("%q", f.blockHeaders[b]))
				default:
					parts = append(parts, "(none in "+blk.Label+")")
				}
			}
			from = "per block: " + strings.Join(parts, ", ")
		case f.join >= 0:
			j := m.joins[f.join]
			from = fmt.Sprintf("%s column %q, matched by %s = %s", j.File, f.joinCol, strings.Join(j.Key, " / "), j.On)
		case f.index >= 0:
			from = fmt.Sprintf("column %q", f.header)
			if len(f.indexes) > 1 {
				from = fmt.Sprintf("the first non-empty of %q", f.header)
			}
		case f.constant != nil:
			from = fmt.Sprintf("%q for every row", *f.constant)
		case f.Name == "school_id" && m.schoolByName:
			from = "the config's schools list, by school_name"
		default:
			continue
		}
		if f.Name == "school_name" && m.schoolByName {
			from += ", looked up in the config's schools list"
		}
		if f.Name == "student_id" && width > 0 {
			from += fmt.Sprintf(", trimmed, all-digit ids left-padded with zeros to %d digits", width)
		}
		out = append(out, f.Name+" <- "+from)
	}
	return out
}
