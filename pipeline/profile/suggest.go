package profile

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/values"
)

// A Suggestion is a starting profile for a sample file: what `hitreflect
// profile suggest` prints. Profile is the guess; the rest says why, for the
// comments a person reads before trusting it.
type Suggestion struct {
	Profile config.Profile
	// Why says, per field, which header was taken and on what grounds.
	Why map[string]string
	// Codes lists, per coded field, each distinct value seen with the
	// canonical value it reads as, or "TODO" when nothing does.
	Codes map[string][]CodeGuess
	// Dropped are the headers that look like personal data, with the rule.
	Dropped [][2]string
	// Unused are headers the suggestion maps to nothing.
	Unused []string
	// Todo lists what a person must still decide.
	Todo []string
}

// CodeGuess is one distinct value of a coded column.
type CodeGuess struct {
	Raw, Guess string
	Rows       int
}

// synonyms are headers (lower case, letters and digits only) that name each
// field, best first.
var synonyms = map[string]map[string][]string{
	"sessions": {
		"session_id":       {"sessionid", "sessionkey", "appointmentid", "lessonid", "sessionnumber"},
		"student_id":       studentIDNames,
		"tutor_id":         {"tutorid", "tutor", "coach", "coachid", "instructorid", "tutorcode", "staffid"},
		"school_id":        schoolIDNames,
		"school_name":      {"schoolname", "school", "sitename"},
		"session_date":     {"sessiondate", "date", "servicedate", "sessdate", "lessondate", "dateofservice"},
		"start_time":       {"starttime", "start", "begintime", "sessionstart"},
		"end_time":         {"endtime", "end", "sessionend"},
		"duration_minutes": {"durationminutes", "duration", "minutes", "mins", "sessionminutes", "minutesdelivered", "length"},
		"status":           {"status", "attendance", "attended", "attendancestatus", "sessionstatus", "present", "attendancecode"},
		"group_size":       {"groupsize", "studentsingroup", "groupcount"},
		"modality":         {"modality", "format", "deliverymode", "mode", "setting", "deliverymethod"},
		"subject":          {"subject", "contentarea", "course", "subjectarea"},
	},
	"assessments": {
		"student_id":        studentIDNames,
		"school_id":         schoolIDNames,
		"school_name":       {"schoolname", "school", "sitename"},
		"grade":             {"grade", "gradelevel", "studentgrade", "enrolledgrade", "currentgrade", "gradeattest", "assessmentgrade", "testgrade", "currentgradelevel"},
		"subject":           {"subject", "course", "contentarea", "discipline", "testsubject", "subjectarea"},
		"school_year":       {"schoolyear", "academicyear", "year", "sy", "schoolyearname"},
		"window":            {"window", "termname", "term", "benchmarkperiod", "screeningperiod", "screeningperiodwindowname", "screeningwindow", "season", "testingwindow", "normingwindow", "assessmentperiod", "period", "administrationperiod", "testperiod"},
		"test_date":         {"testdate", "completiondate", "completeddate", "assessmentdate", "teststartdate", "administrationdate", "admindate", "testcompleteddate", "dateofassessment", "datetaken", "clientdate", "finaldate", "date"},
		"scale_score":       {"scalescore", "scaledscore", "overallscalescore", "unifiedscore", "unifiedscale", "testritscore", "ritscore", "rit", "compositescore", "score", "overallscore", "totalscore", "testtheta", "theta"},
		"percentile":        {"percentile", "percentilerank", "nationalpercentile", "testpercentile", "nationalpercentilerank", "percentileatnation", "pr", "ptile", "npr", "pctile"},
		"achievement_level": {"achievementlevel", "performancelevel", "overallrelativeplacement", "placement", "benchmarkstatus", "riskcategory", "compositelevel", "level", "achievementquintile", "riskstatus", "risklevel"},
	},
	"roster": {
		"student_id":     studentIDNames,
		"school_id":      schoolIDNames,
		"school_name":    {"schoolname", "school"},
		"grade":          {"grade", "gradelevel", "currentgrade", "enrolledgrade"},
		"ell":            {"ell", "el", "englishlearner", "lep", "englishlanguagelearner", "elstatus"},
		"sped":           {"sped", "iep", "specialeducation", "swd", "specialed", "spedstatus"},
		"econ_disadv":    {"econdisadv", "economicallydisadvantaged", "frl", "frpl", "ed", "lowincome", "freereducedlunch"},
		"race_ethnicity": {"raceethnicity", "race", "ethnicity", "federalrace"},
		"gender":         {"gender", "sex"},
	},
}

var (
	studentIDNames = []string{"studentid", "studentprimaryid", "studentidentifier", "studentnumber", "localstudentid", "studentlocalid", "lasid", "localid", "sisid", "studentsisid", "districtstudentid", "learnerid", "stuid", "studentschoolid", "studentdistrictid", "id"}
	schoolIDNames  = []string{"schoolid", "schoolidentifier", "schoolstateid", "schoolcode", "schoolnumber", "schoollocalid", "siteid", "site", "schoolsisid", "buildingid"}
)

func squash(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fieldFor guesses the field a header holds: an exact synonym first (the
// earlier in the list, the better), else a header that ends with one.
func fieldFor(kind, header string, taken map[string]bool) (field string, score int) {
	h := squash(header)
	for _, f := range Fields(kind) {
		if taken[f.Name] {
			continue
		}
		for i, syn := range synonyms[kind][f.Name] {
			s := 0
			switch {
			case h == syn:
				s = 1000 - i
			case len(syn) >= 5 && strings.HasSuffix(h, syn):
				s = 500 - i - (len(h) - len(syn))
			}
			if s > score {
				field, score = f.Name, s
			}
		}
	}
	return field, score
}

var (
	seasonWords = []string{"fall", "winter", "spring", "boy", "moy", "eoy", "autumn", "summer"}
	monthWords  = []string{"august", "september", "october", "november", "december", "january", "february", "march", "april", "may", "june", "july",
		"aug", "sep", "sept", "oct", "nov", "dec", "jan", "feb", "mar", "apr", "jun", "jul"}
	wordRE = regexp.MustCompile(`[A-Za-z]+`)
)

// blockOf finds the season or month word in a header: the header with it
// replaced by the placeholder, the word as written, and which placeholder.
func blockOf(header string) (template, value, placeholder string) {
	for _, loc := range wordRE.FindAllStringIndex(header, -1) {
		w := header[loc[0]:loc[1]]
		lw := strings.ToLower(w)
		switch {
		case slices.Contains(seasonWords, lw):
			placeholder = "season"
		case slices.Contains(monthWords, lw) && !(lw == "may" && loc[0] > 0):
			placeholder = "month"
		default:
			continue
		}
		return header[:loc[0]] + "{" + placeholder + "}" + header[loc[1]:], w, placeholder
	}
	return "", "", ""
}

// order sorts block values as a school year runs.
func order(vals []string) {
	rank := func(v string) int {
		lv := strings.ToLower(v)
		for i, w := range []string{"boy", "fall", "autumn", "moy", "winter", "eoy", "spring", "summer"} {
			if lv == w {
				return i
			}
		}
		for i, w := range monthWords {
			if lv == w {
				return 100 + i%12
			}
		}
		return 1000
	}
	sort.SliceStable(vals, func(i, j int) bool { return rank(vals[i]) < rank(vals[j]) })
}

// measureBlock finds a block of columns repeated per measure: prefixes
// that each come with at least two of the same suffixes ("X - Score",
// "X - Level"), at least three of them. A composite written without the
// separator ("Composite Score" beside "LNF - Score") joins the block, and
// the block's headers then list both forms. It returns the block's column
// templates by suffix and its values, the composite first.
func measureBlock(headers []string) (columns map[string][]string, prefixes []string) {
	if c, p := measureBlockBy(headers, dashSplits); c != nil {
		return c, p
	}
	return measureBlockBy(headers, camelSplits)
}

// dashSplits splits "Letter Names (LNF) - Score" at its last " - ".
func dashSplits(h string) [][2]string {
	if i := strings.LastIndex(h, " - "); i > 0 {
		return [][2]string{{h[:i], h[i:]}}
	}
	return nil
}

// camelSplits splits "PhonologicalAwarenessDomainScore" before its last
// one or two capitalised words: {PhonologicalAwarenessDomain, Score},
// {PhonologicalAwareness, DomainScore}.
func camelSplits(h string) [][2]string {
	var cuts []int // byte offsets, whatever the header's bytes are
	var prev rune
	for i, r := range h {
		if r >= 'A' && r <= 'Z' && prev >= 'a' && prev <= 'z' {
			cuts = append(cuts, i)
		}
		prev = r
	}
	var out [][2]string
	for k := len(cuts) - 1; k >= 0 && k >= len(cuts)-2; k-- {
		out = append(out, [2]string{h[:cuts[k]], h[cuts[k]:]})
	}
	return out
}

// measureBlockBy finds prefixes that each come with at least two suffixes
// shared by three prefixes or more, under one way of splitting headers.
func measureBlockBy(headers []string, split func(string) [][2]string) (columns map[string][]string, prefixes []string) {
	bySuffix := map[string][]string{}
	byPrefix := map[string][]string{}
	for _, h := range headers {
		for _, ps := range split(h) {
			bySuffix[ps[1]] = append(bySuffix[ps[1]], ps[0])
			byPrefix[ps[0]] = append(byPrefix[ps[0]], ps[1])
		}
	}
	var shared []string
	for suf, ps := range bySuffix {
		if len(ps) >= 3 {
			shared = append(shared, suf)
		}
	}
	sort.Strings(shared)
	for _, h := range headers {
		for _, ps := range split(h) {
			n := 0
			for _, suf := range byPrefix[ps[0]] {
				if slices.Contains(shared, suf) {
					n++
				}
			}
			if n >= 2 && !slices.Contains(prefixes, ps[0]) {
				prefixes = append(prefixes, ps[0])
			}
		}
	}
	// A prefix that is another prefix plus a word (PhonologicalAwarenessDomain
	// beside PhonologicalAwareness) is a split too many.
	var kept []string
	for _, p := range prefixes {
		longer := false
		for _, q := range prefixes {
			if q != p && strings.HasPrefix(p, q) {
				longer = true
			}
		}
		if !longer {
			kept = append(kept, p)
		}
	}
	prefixes = kept
	if len(prefixes) < 3 {
		return nil, nil
	}
	columns = map[string][]string{}
	for _, suf := range shared {
		n := 0
		for _, p := range prefixes {
			if slices.Contains(headers, p+suf) {
				n++
			}
		}
		if n >= 2 {
			columns[suf] = []string{"{measure}" + suf}
		}
	}
	// "Composite Score": the composite without the separator.
	has := func(h string) bool { return slices.Contains(headers, h) }
	for _, word := range []string{"Composite", "Overall", "Total"} {
		if slices.Contains(prefixes, word) {
			continue
		}
		found := false
		for suf := range columns {
			bare := strings.TrimPrefix(suf, " - ")
			if bare != suf && has(word+" "+bare) {
				columns[suf] = append(columns[suf], "{measure} "+bare)
				found = true
			}
		}
		if found {
			prefixes = append([]string{word}, prefixes...)
		}
	}
	return columns, prefixes
}

var abbrevRE = regexp.MustCompile(`\(([A-Za-z][A-Za-z0-9 -]*)\)`)

// measureName is a short name for a measure: composite, the abbreviation in
// parentheses ("Phonemic Awareness (PSF)" is psf), else its words joined.
func measureName(prefix string) string {
	l := strings.ToLower(prefix)
	if strings.Contains(l, "composite") || strings.Contains(l, "overall") {
		return "composite"
	}
	if m := abbrevRE.FindStringSubmatch(prefix); m != nil {
		return strings.Join(regexp.MustCompile(`[a-z0-9]+`).FindAllString(strings.ToLower(m[1]), -1), "_")
	}
	return strings.Join(regexp.MustCompile(`[a-z0-9]+`).FindAllString(l, -1), "_")
}

// Suggest guesses a profile of kind for a file from its headers and its
// first rows (each as long as the headers or shorter). fileName is the
// sample's name, for a test's name and subject.
func Suggest(kind, fileName string, headers []string, rows [][]string) Suggestion {
	s := Suggestion{Profile: config.Profile{Kind: kind, Columns: config.Columns{}}, Why: map[string]string{}, Codes: map[string][]CodeGuess{}}
	taken := map[string]bool{}
	used := map[int]bool{}
	col := map[string]int{} // field -> column index of a plain mapping

	// Personal data first: never mapped.
	for i, h := range headers {
		if rule := PersonalData(h); rule != "" {
			s.Dropped = append(s.Dropped, [2]string{h, rule})
			used[i] = true
		}
	}

	// A block per season or month: headers that differ by that word alone.
	if kind == "assessments" {
		type tpl struct {
			placeholder string
			values      []string
			index       map[string]int // value -> column
		}
		templates := map[string]*tpl{}
		var names []string
		for i, h := range headers {
			if used[i] {
				continue
			}
			if t, v, ph := blockOf(h); t != "" {
				if templates[t] == nil {
					templates[t] = &tpl{placeholder: ph, index: map[string]int{}}
					names = append(names, t)
				}
				templates[t].values = append(templates[t].values, v)
				templates[t].index[v] = i
			}
		}
		var block config.WideBlock
		var blockValues []string
		for _, t := range names {
			if len(templates[t].values) >= 2 && (block.Placeholder == "" || block.Placeholder == templates[t].placeholder) {
				block.Placeholder = templates[t].placeholder
				for _, v := range templates[t].values {
					if !slices.Contains(blockValues, v) {
						blockValues = append(blockValues, v)
					}
				}
			}
		}
		if block.Placeholder != "" {
			order(blockValues)
			block.Values = blockValues
			block.Columns = config.Columns{}
			if block.Placeholder == "season" {
				block.Sets = "window"
				taken["window"] = true
				s.Why["window"] = "each block's " + "{season}, read as a window"
			}
			for _, t := range names {
				if templates[t].placeholder != block.Placeholder || len(templates[t].values) < 2 {
					continue
				}
				bare := strings.TrimSpace(strings.NewReplacer("{"+block.Placeholder+"}", "", "_", " ").Replace(t))
				f, score := fieldFor(kind, bare, taken)
				if score == 0 || f == "student_id" || f == "school_id" || f == "school_name" || f == "subject" {
					continue
				}
				taken[f] = true
				block.Columns[f] = config.Headers{t}
				s.Why[f] = fmt.Sprintf("the block's %q", t)
				for _, i := range templates[t].index {
					used[i] = true
				}
			}
			if len(block.Columns) > 0 {
				s.Profile.Wide = append(s.Profile.Wide, block)
			} else if block.Sets == "window" {
				delete(taken, "window")
				delete(s.Why, "window")
			}
		}
		// A block per measure: a composite and its subtests.
		if len(s.Profile.Wide) == 0 {
			cols, prefixes := measureBlock(headers)
			if len(cols) > 0 {
				mb := config.WideBlock{Placeholder: "measure", Values: prefixes, Sets: "measure", Columns: config.Columns{}}
				for _, suf := range slices.Sorted(maps.Keys(cols)) {
					f, score := fieldFor(kind, strings.TrimPrefix(suf, " - "), taken)
					if score == 0 || f == "student_id" || f == "school_id" || f == "school_name" || f == "test_date" {
						continue
					}
					taken[f] = true
					mb.Columns[f] = cols[suf]
					s.Why[f] = fmt.Sprintf("the block's %s", strings.Join(Quoted(cols[suf], 3), " or "))
					for i, h := range headers {
						for _, p := range prefixes {
							for _, tpl := range cols[suf] {
								if h == strings.ReplaceAll(tpl, "{measure}", p) {
									used[i] = true
								}
							}
						}
					}
				}
				if _, ok := mb.Columns["scale_score"]; ok {
					// A subtest with a level but no score was not taken.
					mb.SkipWithout = []string{"scale_score"}
				}
				if len(mb.Columns) > 0 {
					s.Profile.Wide = append(s.Profile.Wide, mb)
					taken["measure"] = true
					s.Profile.ValueMaps = map[string]config.Codes{"measure": {}}
					seen := map[string]bool{}
					for _, p := range prefixes {
						n := measureName(p)
						if seen[n] {
							n = strings.Join(regexp.MustCompile(`[a-z0-9]+`).FindAllString(strings.ToLower(p), -1), "_")
						}
						seen[n] = true
						s.Profile.ValueMaps["measure"][p] = n
					}
					s.Why["measure"] = "each block's {measure}, named through value_maps"
				}
			}
		}
	}

	// Plain columns: the best header for each field.
	type cand struct {
		field string
		i     int
		score int
	}
	for {
		best := cand{score: 0}
		for i, h := range headers {
			if used[i] || values.Trim(h) == "" {
				continue
			}
			if f, sc := fieldFor(kind, h, taken); sc > best.score {
				best = cand{f, i, sc}
			}
		}
		if best.score == 0 {
			break
		}
		taken[best.field] = true
		used[best.i] = true
		col[best.field] = best.i
		s.Profile.Columns[best.field] = config.Headers{headers[best.i]}
		why := "its header"
		if best.score < 1000-100 {
			why = "its header ends like the field's name"
		}
		s.Why[best.field] = fmt.Sprintf("%q (%s)", headers[best.i], why)
	}
	for i, h := range headers {
		if !used[i] && values.Trim(h) != "" {
			s.Unused = append(s.Unused, h)
		}
	}

	// Constants a test file needs and rarely has.
	name := strings.ToLower(strings.TrimSuffix(filepath.Base(fileName), filepath.Ext(fileName)))
	if kind == "assessments" {
		if !taken["assessment"] {
			slug := assessmentSlug(name)
			s.Profile.Constants = config.Codes{"assessment": slug}
			s.Why["assessment"] = fmt.Sprintf("%q, from the file's name: change it to the test's short name", slug)
		}
		if !taken["subject"] {
			switch {
			case containsWord(name, "math", "maths", "mathematics", "amath", "earlymath", "sm"):
				s.Profile.Constants["subject"] = "math"
				s.Why["subject"] = `"math", from the file's name`
			case containsWord(name, "reading", "ela", "literacy", "english", "areading", "sr", "dibels", "isip", "fluency", "cbmreading"):
				s.Profile.Constants["subject"] = "ela"
				s.Why["subject"] = `"ela", from the file's name`
			default:
				s.Todo = append(s.Todo, "subject: the file has no subject column and its name does not say; add constants: {subject: math} (or ela)")
			}
		}
	}

	// Coded columns: every distinct value with what it reads as.
	cell := func(r []string, i int) string {
		if i < len(r) {
			return values.Trim(r[i])
		}
		return ""
	}
	for _, f := range []string{"status", "subject", "window", "modality", "grade"} {
		i, ok := col[f]
		if !ok {
			continue
		}
		counts := map[string]int{}
		for _, r := range rows {
			if v := cell(r, i); v != "" {
				counts[v]++
			}
		}
		field, _ := FieldByName(kind, f)
		reader := Reader{Kind: kind, Field: field, Profile: s.Profile}
		raws := make([]string, 0, len(counts))
		for v := range counts {
			raws = append(raws, v)
		}
		sort.Strings(raws)
		if len(raws) > 40 {
			raws = raws[:40]
		}
		for _, raw := range raws {
			v := reader.Read(raw)
			g := CodeGuess{Raw: raw, Rows: counts[raw]}
			switch {
			case v.Problem != "":
				g.Guess = "TODO"
			case v.Skip != "":
				g.Guess = "skip"
			default:
				g.Guess = fmt.Sprint(v.Value)
			}
			s.Codes[f] = append(s.Codes[f], g)
			if f == "status" && g.Guess != "TODO" && anyTODO(raws, reader) {
				// A profile's status_values replace the default codes, so
				// with one TODO every code seen is written out.
				if s.Profile.StatusValues == nil {
					s.Profile.StatusValues = config.Codes{}
				}
				s.Profile.StatusValues[raw] = g.Guess
			}
			if g.Guess != "TODO" {
				continue
			}
			// What cannot be read goes in the profile as TODO, so check
			// names it until a person decides.
			switch f {
			case "status":
				if s.Profile.StatusValues == nil {
					s.Profile.StatusValues = config.Codes{}
				}
				s.Profile.StatusValues[raw] = "TODO"
			case "window":
				if s.Profile.WindowValues == nil {
					s.Profile.WindowValues = config.Codes{}
				}
				switch {
				case strings.Contains(strings.ToLower(raw), "summer"):
					s.Profile.WindowValues[raw] = "skip" // summer school: not a testing window
					s.Codes[f][len(s.Codes[f])-1].Guess = "skip"
				case taken["test_date"]:
					// A district's own name for a period: the test date and
					// the calendar decide.
					if s.Profile.ValueMaps == nil {
						s.Profile.ValueMaps = map[string]config.Codes{}
					}
					if s.Profile.ValueMaps["window"] == nil {
						s.Profile.ValueMaps["window"] = config.Codes{}
					}
					s.Profile.ValueMaps["window"][raw] = ""
					s.Codes[f][len(s.Codes[f])-1].Guess = "from the test date"
				default:
					s.Profile.WindowValues[raw] = "TODO"
				}
				if len(s.Profile.WindowValues) == 0 {
					s.Profile.WindowValues = nil
				}
			case "modality":
				if s.Profile.ModalityValues == nil {
					s.Profile.ModalityValues = config.Codes{}
				}
				s.Profile.ModalityValues[raw] = "TODO"
			default:
				s.Todo = append(s.Todo, fmt.Sprintf("%s %q (%d rows) cannot be read: add it under value_maps: {%s: {%q: ...}}", f, raw, counts[raw], f, raw))
			}
		}
	}
	// Percentiles and scores written "N/A" and the like: null values. A
	// field's columns: its plain column, or every block's.
	fieldCols := map[string][]int{}
	for f, i := range col {
		fieldCols[f] = []int{i}
	}
	for _, b := range Blocks(s.Profile) {
		for f, hs := range b.Columns {
			for _, h := range hs {
				if i := slices.Index(headers, h); i >= 0 {
					fieldCols[f] = append(fieldCols[f], i)
				}
			}
		}
	}
	for _, f := range slices.Sorted(maps.Keys(fieldCols)) {
		field, _ := FieldByName(kind, f)
		if field.Type != Percentile && field.Type != Number {
			continue
		}
		nulls := map[string]bool{}
		for _, r := range rows {
			for _, i := range fieldCols[f] {
				v := cell(r, i)
				if v == "" {
					continue
				}
				if res := (Reader{Kind: kind, Field: field, Profile: s.Profile}).Read(v); res.Problem != "" && len(v) <= 12 && !strings.ContainsAny(v, "0123456789") {
					nulls[v] = true
				}
			}
		}
		if len(nulls) > 0 {
			if s.Profile.NullValues == nil {
				s.Profile.NullValues = map[string][]string{}
			}
			s.Profile.NullValues[f] = slices.Sorted(maps.Keys(nulls))
		}
	}
	// Required fields nothing gives.
	for _, f := range Fields(kind) {
		if !f.Required || taken[f.Name] || s.Profile.Constants[f.Name] != "" || Derivable(s.Profile, f.Name) {
			continue
		}
		if f.Name == "subject" && kind == "assessments" {
			continue // said above
		}
		s.Todo = append(s.Todo, fmt.Sprintf("%s: no header looks like it (%s); add it under columns:", f.Name, f.Meaning))
	}
	return s
}

func firstKey[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func anyTODO(raws []string, r Reader) bool {
	for _, raw := range raws {
		if r.Read(raw).Problem != "" {
			return true
		}
	}
	return false
}

func containsWord(name string, words ...string) bool {
	for _, w := range regexp.MustCompile(`[a-z]+`).FindAllString(name, -1) {
		if slices.Contains(words, w) {
			return true
		}
	}
	return false
}

// assessmentSlug makes a test name from a file name: its words, without
// dates, numbers or file-export words.
func assessmentSlug(name string) string {
	var keep []string
	for _, w := range regexp.MustCompile(`[a-z]+`).FindAllString(name, -1) {
		if slices.Contains([]string{"export", "data", "results", "file", "sample", "anonymized", "fall", "winter", "spring", "boy", "moy", "eoy", "csv", "xlsx"}, w) || len(w) < 2 {
			continue
		}
		keep = append(keep, w)
		if len(keep) == 3 {
			break
		}
	}
	if len(keep) == 0 {
		return "assessment"
	}
	return strings.Join(keep, "_")
}

// YAML writes the suggestion as a profile to paste under profiles:, with
// comments saying where each guess came from and what is left to decide.
func (s Suggestion) YAML(name, about string) string {
	var b strings.Builder
	q := func(v string) string { return fmt.Sprintf("%q", v) }
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# %s\n", about)
	w("# A starting profile: paste it under profiles: in hitreflect.yaml, point a source at it\n")
	w("# (profile: %s), then run hitreflect check on the file and fix what it names.\n", name)
	if len(s.Todo) > 0 {
		w("#\n# Still to decide:\n")
		for _, t := range s.Todo {
			w("#   - %s\n", t)
		}
	}
	w("profiles:\n  %s:\n    kind: %s\n", name, s.Profile.Kind)
	p := s.Profile
	fieldOrder := func(m map[string]config.Headers) []string {
		var out []string
		for _, f := range Fields(p.Kind) {
			if _, ok := m[f.Name]; ok {
				out = append(out, f.Name)
			}
		}
		return out
	}
	if len(p.Columns) > 0 {
		w("    columns:\n")
		for _, f := range fieldOrder(p.Columns) {
			w("      %s: %s\n", f, q(p.Columns[f].First()))
		}
	}
	if len(p.Constants) > 0 {
		w("    constants:\n")
		for _, f := range slices.Sorted(maps.Keys(p.Constants)) {
			w("      %s: %s  # %s\n", f, q(p.Constants[f]), s.Why[f])
		}
	}
	for _, blk := range p.Wide {
		w("    wide:\n      - placeholder: %s\n        values: [", blk.Placeholder)
		for i, v := range blk.Values {
			if i > 0 {
				w(", ")
			}
			w("%s", q(v))
		}
		w("]\n")
		if blk.Sets != "" {
			w("        sets: %s\n", blk.Sets)
		}
		if len(blk.SkipWithout) > 0 {
			w("        skip_without: [%s]  # a block with none of these was not taken: skipped, whatever else it holds\n", strings.Join(blk.SkipWithout, ", "))
		}
		w("        columns:\n")
		for _, f := range fieldOrder(blk.Columns) {
			w("          %s: %s\n", f, q(blk.Columns[f].First()))
		}
	}
	for _, f := range slices.Sorted(maps.Keys(p.ValueMaps)) {
		if f == firstKey(p.ValueMaps) {
			w("    value_maps:\n")
		}
		w("      %s:\n", f)
		for _, k := range sortedKeys(p.ValueMaps[f]) {
			w("        %s: %s\n", q(k), q(p.ValueMaps[f][k]))
		}
	}
	if len(p.NullValues) > 0 {
		w("    null_values:  # cells that mean no value\n")
		for _, f := range slices.Sorted(maps.Keys(p.NullValues)) {
			quoted := make([]string, len(p.NullValues[f]))
			for i, v := range p.NullValues[f] {
				quoted[i] = q(v)
			}
			w("      %s: [%s]\n", f, strings.Join(quoted, ", "))
		}
	}
	codeMap := func(key string, m config.Codes, field string) {
		if len(m) == 0 {
			return
		}
		w("    %s:  # TODO: replace each TODO with one of the values check lists\n", key)
		for _, k := range sortedKeys(m) {
			w("      %s: %s\n", q(k), m[k])
		}
	}
	codeMap("status_values", p.StatusValues, "status")
	codeMap("window_values", p.WindowValues, "window")
	codeMap("modality_values", p.ModalityValues, "modality")
	if len(s.Codes) > 0 {
		w("    # Values seen in the coded columns, and how each reads:\n")
		for _, f := range []string{"status", "subject", "window", "modality", "grade"} {
			if len(s.Codes[f]) == 0 {
				continue
			}
			var parts []string
			for _, g := range s.Codes[f] {
				parts = append(parts, fmt.Sprintf("%s -> %s (%d)", q(g.Raw), g.Guess, g.Rows))
			}
			w("    #   %s: %s\n", f, strings.Join(parts, ", "))
		}
	}
	w("    # Where each field comes from:\n")
	for _, f := range Fields(p.Kind) {
		if why, ok := s.Why[f.Name]; ok {
			w("    #   %s: %s\n", f.Name, why)
		}
	}
	if len(s.Dropped) > 0 {
		w("    # Dropped as personal data, never read (keep_columns: keeps one that is not):\n")
		for _, d := range s.Dropped {
			w("    #   %s (%s)\n", q(d[0]), d[1])
		}
	}
	if len(s.Unused) > 0 {
		w("    # Not mapped: %s\n", strings.Join(Quoted(s.Unused, 30), ", "))
	}
	return b.String()
}

func sortedKeys(m config.Codes) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Quoted quotes items for a message, the first max of them and a count of
// the rest.
func Quoted(items []string, max int) []string {
	var out []string
	for i, s := range items {
		if i == max {
			out = append(out, fmt.Sprintf("… (%d more)", len(items)-max))
			break
		}
		out = append(out, fmt.Sprintf("%q", s))
	}
	return out
}

// HeaderScore counts the cells of a record that name a field of kind: the
// record with the most is the header.
func HeaderScore(kind string, cells []string) int {
	n := 0
	for _, c := range cells {
		if f, _ := fieldFor(kind, c, map[string]bool{}); f != "" {
			n++
		}
	}
	return n
}
