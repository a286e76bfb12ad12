// Package disclosure checks published tables the way someone trying to
// undo small-cell suppression would: it reads the CSV tables a packet (or
// the nightly metrics folder) publishes, writes every row as a sum over the
// finest groups any of them is cut by, and asks, for each withheld row,
// whether that sum is a linear combination of the rows published beside
// it. If it is, the withheld figures can be worked out from the others,
// whatever the data. The tests use it on real outputs; it is independent
// of how pipeline/metrics chooses what to withhold.
package disclosure

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/queries"
)

// Finding is a withheld row that the published rows give away.
type Finding struct {
	File string // the CSV file, as given
	Line int    // its line in the file (the header is line 1)
	Row  string // the row's groups, "school=101 provider=x week=..."
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: withheld %s can be worked out from the published rows", f.File, f.Line, f.Row)
}

// Report is what an audit looked at and what it found.
type Report struct {
	Withheld  int // withheld rows checked
	Published int // published rows they were checked against
	Findings  []Finding
}

// linked are families counting the same sessions and students by group
// (quality's sessions are engagement's, cost's students engagement's), so
// their rows for a group are one unknown to a reader.
var linked = map[string]string{"engagement": "sessions", "quality": "sessions", "cost": "sessions"}

// ScopeOf says whose packet a packet folder is, from its name: school-ID
// and provider-ID packets show that school's or provider's rows (with the
// school or provider column dropped where it says nothing) and the
// district's totals; the district folder shows everyone's.
func ScopeOf(folder string) (dim, id string) {
	base := filepath.Base(folder)
	for _, d := range []string{"school", "provider"} {
		if rest, ok := strings.CutPrefix(base, d+"-"); ok {
			return d, rest
		}
	}
	return "", ""
}

// Packet audits the tables of a packet folder (its tables/*.csv).
func Packet(folder string) (*Report, error) {
	files, err := filepath.Glob(filepath.Join(folder, "tables", "*.csv"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no tables/*.csv", folder)
	}
	dim, id := ScopeOf(folder)
	return Files(files, dim, id)
}

// Files audits tables published together. scopeDim and scopeID, when set,
// say that every row but the totals is that school's or provider's.
func Files(files []string, scopeDim, scopeID string) (*Report, error) {
	groups := map[string]*group{}
	for _, f := range files {
		if err := readTable(f, scopeDim, scopeID, groups); err != nil {
			return nil, err
		}
	}
	rep := &Report{}
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		groups[name].audit(rep, scopeDim)
	}
	return rep, nil
}

// row is one published or withheld row: its groups, "all" left out.
type row struct {
	file     string
	line     int
	dims     map[string]string
	withheld bool
}

type group struct {
	rows []row
	// shapes are the sets of dimensions rows are cut by, with the
	// combinations each publishes (a combination a table does not list
	// holds no one).
	shapes map[string]map[string]bool
}

func readTable(path, scopeDim, scopeID string, groups map[string]*group) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	col := func(name string) int { return slices.Index(header, name) }
	famCol, withheldCol := col("family"), col("withheld")
	if famCol < 0 || withheldCol < 0 {
		return fmt.Errorf("%s: not a metrics table (no family or withheld column)", path)
	}
	var dimCols []int
	for j, h := range header {
		if j <= famCol+1 { // family, then the table's period
			continue
		}
		if slices.Contains(queries.Dimensions, h) || h == "group" {
			dimCols = append(dimCols, j)
		}
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if len(rec) != len(header) { // the table's note
			continue
		}
		family := rec[famCol]
		if family == "impact" { // model estimates, not sums of groups
			continue
		}
		name := family
		if g, ok := linked[family]; ok {
			name = g
		}
		rw := row{file: path, line: line, dims: map[string]string{}, withheld: rec[withheldCol] != ""}
		total := false
		for _, j := range dimCols {
			if rec[j] == "all" {
				total = true
				continue
			}
			rw.dims[header[j]] = rec[j]
		}
		if scopeDim != "" && !total {
			rw.dims[scopeDim] = scopeID
		}
		g := groups[name]
		if g == nil {
			g = &group{shapes: map[string]map[string]bool{}}
			groups[name] = g
		}
		g.rows = append(g.rows, rw)
		shape := shapeOf(rw.dims)
		if g.shapes[shape] == nil {
			g.shapes[shape] = map[string]bool{}
		}
		g.shapes[shape][project(rw.dims, shape)] = true
	}
}

// elsewhere stands for the schools (or providers) a scoped packet does
// not show, which its district totals still count.
const elsewhere = "\x00elsewhere"

// audit writes each row as a sum of the finest groups (the atoms) and
// checks each withheld row against the span of the published ones.
func (g *group) audit(rep *Report, scopeDim string) {
	values := map[string][]string{}
	for _, r := range g.rows {
		for d, v := range r.dims {
			if !slices.Contains(values[d], v) {
				values[d] = append(values[d], v)
			}
		}
	}
	if scopeDim != "" {
		if _, ok := values[scopeDim]; ok {
			values[scopeDim] = append(values[scopeDim], elsewhere)
		}
	}
	dims := slices.Sorted(maps.Keys(values))
	for _, d := range dims {
		sort.Strings(values[d])
	}
	// The atoms: every combination of values that each table allows (a
	// combination a table cut by those dimensions does not list is empty).
	var atoms []map[string]string
	var walk func(i int, a map[string]string)
	walk = func(i int, a map[string]string) {
		if i == len(dims) {
			for shape, present := range g.shapes {
				if shape == "" || strings.Contains(project(a, shape), elsewhere) {
					continue
				}
				if !present[project(a, shape)] {
					return
				}
			}
			atoms = append(atoms, maps.Clone(a))
			return
		}
		for _, v := range values[dims[i]] {
			a[dims[i]] = v
			walk(i+1, a)
		}
		delete(a, dims[i])
	}
	walk(0, map[string]string{})
	vector := func(r row) []uint64 {
		v := make([]uint64, len(atoms))
		for k, a := range atoms {
			in := true
			for d, x := range r.dims {
				if a[d] != x {
					in = false
					break
				}
			}
			if in {
				v[k] = 1
			}
		}
		return v
	}
	var basis metrics.Span
	for _, r := range g.rows {
		if !r.withheld {
			basis.Add(vector(r))
			rep.Published++
		}
	}
	for _, r := range g.rows {
		if !r.withheld {
			continue
		}
		rep.Withheld++
		if basis.Contains(vector(r)) {
			rep.Findings = append(rep.Findings, Finding{File: r.file, Line: r.line, Row: describe(r.dims)})
		}
	}
}

func shapeOf(dims map[string]string) string {
	return strings.Join(slices.Sorted(maps.Keys(dims)), ",")
}

// project is a's values for the dimensions of shape, as one key.
func project(a map[string]string, shape string) string {
	if shape == "" {
		return ""
	}
	var out []string
	for _, d := range strings.Split(shape, ",") {
		out = append(out, a[d])
	}
	return strings.Join(out, "\x01")
}

func describe(dims map[string]string) string {
	if len(dims) == 0 {
		return "the total"
	}
	var parts []string
	for _, d := range slices.Sorted(maps.Keys(dims)) {
		parts = append(parts, d+"="+dims[d])
	}
	return strings.Join(parts, " ")
}
