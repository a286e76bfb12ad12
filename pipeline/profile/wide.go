package profile

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/hitreflect/hitreflect/config"
)

// Block is one block of a wide layout: the headers its fields sit under and
// the values its placeholders give fields ({window: Fall}). A layout with
// no wide: section is one block of the profile's columns.
type Block struct {
	Label   string         // "Fall", or "Fall / earlyMath" for two placeholders
	Columns config.Columns // the block's own fields, placeholders filled in
	Sets    map[string]string
}

// Blocks expands the profile's wide: section into its blocks, in order:
// with two placeholders, every value of the second for each of the first.
// A profile without one has no blocks.
func Blocks(p config.Profile) []Block {
	if len(p.Wide) == 0 {
		return nil
	}
	type partial struct {
		Block
		chosen map[string]string // placeholder -> value
	}
	blocks := []partial{{Block: Block{Sets: map[string]string{}}, chosen: map[string]string{}}}
	for _, w := range p.Wide {
		var next []partial
		for _, b := range blocks {
			for _, v := range w.Values {
				nb := partial{Block: Block{Label: v, Sets: maps.Clone(b.Sets)}, chosen: maps.Clone(b.chosen)}
				if b.Label != "" {
					nb.Label = b.Label + " / " + v
				}
				nb.chosen[w.Placeholder] = v
				if w.Sets != "" {
					nb.Sets[w.Sets] = v
				}
				next = append(next, nb)
			}
		}
		blocks = next
	}
	out := make([]Block, len(blocks))
	for i, b := range blocks {
		b.Columns = config.Columns{}
		for _, w := range p.Wide {
			for field, hs := range w.Columns {
				filled := make(config.Headers, len(hs))
				for j, h := range hs {
					for ph, v := range b.chosen {
						h = strings.ReplaceAll(h, "{"+ph+"}", v)
					}
					filled[j] = h
				}
				b.Columns[field] = filled
			}
		}
		out[i] = b.Block
	}
	return out
}

// InWide says whether the wide: section gives a field, by a column or by
// what its values set.
func InWide(p config.Profile, field string) bool {
	for _, w := range p.Wide {
		if _, ok := w.Columns[field]; ok || w.Sets == field {
			return true
		}
	}
	return false
}

func inFileName(p config.Profile, field string) bool {
	if p.FileName == "" {
		return false
	}
	_, parts, err := FileNamePattern(p.FileName)
	return err == nil && slices.Contains(parts, field)
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// FileNamePattern turns a file_name pattern (SM_{school_year}_{window}.csv,
// * for any text; a part is letters, digits and hyphens) into a regular
// expression matched against the whole name,
// without regard to case, and the fields its parts give, in order.
func FileNamePattern(pattern string) (*regexp.Regexp, []string, error) {
	var re strings.Builder
	re.WriteString("(?i)^")
	var parts []string
	rest := pattern
	for {
		loc := placeholderRE.FindStringSubmatchIndex(rest)
		lit := rest
		if loc != nil {
			lit = rest[:loc[0]]
		}
		for _, piece := range strings.Split(lit, "*") {
			re.WriteString(regexp.QuoteMeta(piece))
			re.WriteString(".*")
		}
		s := re.String()
		re.Reset()
		re.WriteString(strings.TrimSuffix(s, ".*"))
		if loc == nil {
			break
		}
		name := strings.TrimSpace(rest[loc[2]:loc[3]])
		if name == "" {
			return nil, nil, fmt.Errorf("file_name %q has an empty {} part; name the field it gives, as in {window}", pattern)
		}
		if slices.Contains(parts, name) {
			return nil, nil, fmt.Errorf("file_name %q names {%s} twice", pattern, name)
		}
		parts = append(parts, name)
		re.WriteString(`([\p{L}\p{N}-]+)`) // a part is a word: letters, digits, hyphens
		rest = rest[loc[1]:]
	}
	if len(parts) == 0 {
		return nil, nil, fmt.Errorf("file_name %q names no field; write the parts as {field}, as in SM_{school_year}_{window}.csv", pattern)
	}
	re.WriteString("$")
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, nil, fmt.Errorf("file_name %q: %v", pattern, err)
	}
	return compiled, parts, nil
}

// FileNameValues reads a file's name against the profile's file_name
// pattern: the text of each named part, or ok false when the name does not
// fit the pattern.
func FileNameValues(pattern, name string) (map[string]string, bool) {
	re, parts, err := FileNamePattern(pattern)
	if err != nil {
		return nil, false
	}
	m := re.FindStringSubmatch(name)
	if m == nil {
		return nil, false
	}
	out := map[string]string{}
	for i, f := range parts {
		out[f] = m[i+1]
	}
	return out, true
}

// Headers lists every header the profile names, wide blocks filled in: the
// header search looks for them.
func Headers(p config.Profile) []string {
	var out []string
	for _, hs := range p.Columns {
		out = append(out, hs...)
	}
	for _, b := range Blocks(p) {
		for _, hs := range b.Columns {
			out = append(out, hs...)
		}
	}
	return out
}

// checkWide validates the wide: section.
func checkWide(l *config.Locator, key string, p config.Profile, known func(string) bool, fieldNames func() string) config.Errors {
	var errs config.Errors
	add := func(k, format string, args ...any) { errs = append(errs, l.Errorf(k, format, args...)) }
	seen := map[string]bool{}
	for i, w := range p.Wide {
		k := fmt.Sprintf("%s.wide[%d]", key, i)
		ph := strings.TrimSpace(w.Placeholder)
		if ph == "" {
			add(k+".placeholder", "expected the placeholder's name, as written in braces in the headers below ({season} is placeholder: season)")
			continue
		}
		if seen[ph] {
			add(k+".placeholder", "placeholder %q is used by an earlier block", ph)
		}
		seen[ph] = true
		if len(w.Values) == 0 {
			add(k+".values", "expected the values {%s} takes, as the headers write them (Fall, Winter, Spring)", ph)
		}
		for j, v := range w.Values {
			if strings.TrimSpace(v) == "" {
				add(fmt.Sprintf("%s.values[%d]", k, j), "an empty value for {%s}", ph)
			}
		}
		if w.Sets != "" && !known(w.Sets) {
			add(k+".sets", "%q is not a field of %s files (fields: %s)", w.Sets, p.Kind, fieldNames())
		}
		if w.Sets != "" {
			if _, ok := p.Columns[w.Sets]; ok {
				add(k+".sets", "%s comes from columns.%s already; a field comes from one place", w.Sets, w.Sets)
			}
		}
		for j, f := range w.SkipWithout {
			if _, ok := w.Columns[f]; !ok {
				add(fmt.Sprintf("%s.skip_without[%d]", k, j), "%q is not one of the block's columns", f)
			}
		}
		if len(w.Columns) == 0 {
			add(k+".columns", "expected the columns of the block, with {%s} where the value goes (scale_score: \"{%s} Score\")", ph, ph)
		}
		for _, field := range slices.Sorted(maps.Keys(w.Columns)) {
			fk := k + ".columns." + field
			if !known(field) {
				add(fk, "%q is not a field of %s files (fields: %s)", field, p.Kind, fieldNames())
			}
			if _, ok := p.Columns[field]; ok {
				add(fk, "%s is also under columns:; a field comes from one place", field)
			}
			if len(w.Columns[field]) == 0 {
				add(fk, "expected the header of the column holding %s", field)
			}
			for _, h := range w.Columns[field] {
				if !strings.Contains(h, "{"+ph+"}") && !mentionsAny(h, p.Wide) {
					add(fk, "header %q does not contain {%s}, so every block would read the same column", h, ph)
				}
			}
		}
	}
	return errs
}

func mentionsAny(h string, ws []config.WideBlock) bool {
	for _, w := range ws {
		if w.Placeholder != "" && strings.Contains(h, "{"+w.Placeholder+"}") {
			return true
		}
	}
	return false
}
