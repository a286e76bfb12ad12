package metrics

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Tables published together (a packet's, the nightly metrics folder)
// can give away a cell that each table alone withholds: a school's year
// row less its other weeks gives the week withheld, a school's row less
// one provider's gives the other's. ProtectAcross withholds further cells
// until every sum one table's row makes of another table's rows (of the
// same family, cut more finely) adds up either no withheld group or at
// least two, so no subtraction finds one; and then until no withheld group
// is pinned down by all the sums taken together (solved as equations),
// which the first rule alone does not ensure.
//
// Families in linkedFamilies count the same sessions and students, so a
// group withheld in one is withheld in each: quality's sessions of a
// school and provider are engagement's scheduled sessions, cost's students
// engagement's students served. Impact is left to its own rules: its
// figures are model estimates, not sums of groups.
func ProtectAcross(tables []*Table) {
	cells := map[string]*cell{}
	byFamily := map[string]map[string][]*cell{} // family -> shape -> cells
	seen := map[string]bool{}                   // family + cell key
	for _, t := range tables {
		if t == nil || t.NColumn == "" || t.Family == "impact" {
			continue
		}
		group := t.Family
		if g, ok := linkedFamilies[t.Family]; ok {
			group = g
		}
		for i, row := range t.Rows {
			shape, dims := t.groupOf(row)
			key := group + "\x00" + shape + "\x00" + strings.Join(dims, "\x00")
			c := cells[key]
			if c == nil {
				c = &cell{key: key, dims: dims}
				cells[key] = c
			}
			c.at = append(c.at, rowAt{t, i})
			c.n = max(c.n, row.N)
			c.withheld = c.withheld || row.Suppressed != ""
			if !seen[t.Family+"\x00"+key] {
				seen[t.Family+"\x00"+key] = true
				if byFamily[t.Family] == nil {
					byFamily[t.Family] = map[string][]*cell{}
				}
				byFamily[t.Family][shape] = append(byFamily[t.Family][shape], c)
			}
		}
	}
	// A group withheld in one table is withheld wherever it is published
	// (in any order: the reason is the same).
	for _, c := range cells {
		if c.withheld {
			c.withhold(acrossTables)
		}
	}
	rels := relations(byFamily)
	for {
		subtractions(rels)
		found := determined(rels)
		if len(found) == 0 {
			return
		}
		// Each cell the sums still pin down gets a companion: the
		// smallest group shown in a sum it is part of.
		progress := false
		of := membership(rels)
		for _, c := range found {
			if mate := companion(c, rels, of); mate != nil {
				mate.withhold(acrossTables)
				progress = true
			}
		}
		if !progress { // every group near them is withheld already
			return
		}
	}
}

// subtractions withholds, until none is left, a further group in every sum
// with exactly one withheld group: the cheap rule that does most of the work.
func subtractions(rels []relation) {
	for changed := true; changed; {
		changed = false
		for _, r := range rels {
			if r.unknowns() != 1 {
				continue
			}
			if c := r.smallestShown(); c != nil {
				c.withhold(acrossTables)
				changed = true
			} else if !r.parent.withheld && r.parent.n > 0 {
				r.parent.withhold(acrossTables)
				changed = true
			}
		}
	}
}

// determined finds the withheld groups that the published sums still fix
// when taken together (a school's weeks against the district's weeks,
// say): with the withheld groups as unknowns and each sum an equation, a
// group is fixed when it alone is a combination of the equations. The
// unknowns fall into groups that share no equation; each is solved alone.
func determined(rels []relation) []*cell {
	parent := map[*cell]*cell{}
	var find func(c *cell) *cell
	find = func(c *cell) *cell {
		if parent[c] != c {
			parent[c] = find(parent[c])
		}
		return parent[c]
	}
	var unknown [][]*cell // per relation, its withheld members
	for _, r := range rels {
		var u []*cell
		for _, c := range append([]*cell{r.parent}, r.children...) {
			if c.withheld && c.n > 0 {
				u = append(u, c)
				if _, ok := parent[c]; !ok {
					parent[c] = c
				}
			}
		}
		unknown = append(unknown, u)
		for _, c := range u[min(1, len(u)):] {
			if a, b := find(u[0]), find(c); a != b {
				parent[b] = a
			}
		}
	}
	parts := map[*cell][]int{} // component root -> relations
	var roots []*cell
	for i, u := range unknown {
		if len(u) == 0 {
			continue
		}
		root := find(u[0])
		if parts[root] == nil {
			roots = append(roots, root)
		}
		parts[root] = append(parts[root], i)
	}
	var found []*cell
	for _, root := range roots {
		index := map[*cell]int{}
		var vars []*cell
		for _, i := range parts[root] {
			for _, c := range unknown[i] {
				if _, ok := index[c]; !ok {
					index[c] = len(vars)
					vars = append(vars, c)
				}
			}
		}
		var eqs Span
		for _, i := range parts[root] {
			v := make([]uint64, len(vars))
			r := rels[i]
			for _, c := range unknown[i] {
				if c == r.parent {
					v[index[c]] = (v[index[c]] + 1) % prime
				} else {
					v[index[c]] = (v[index[c]] + prime - 1) % prime
				}
			}
			eqs.Add(v)
		}
		for j, c := range vars {
			e := make([]uint64, len(vars))
			e[j] = 1
			if eqs.Contains(e) {
				found = append(found, c)
			}
		}
	}
	sort.Slice(found, func(a, b int) bool { return found[a].key < found[b].key })
	return found
}

// membership lists the relations each cell is part of.
func membership(rels []relation) map[*cell][]int {
	of := map[*cell][]int{}
	for i, r := range rels {
		of[r.parent] = append(of[r.parent], i)
		for _, k := range r.children {
			of[k] = append(of[k], i)
		}
	}
	return of
}

// companion is the group to withhold beside c: the smallest group shown,
// resting on students, in a sum c is part of; failing that, in a sum one
// of those sums' withheld groups is part of, and so on outwards.
func companion(c *cell, rels []relation, of map[*cell][]int) *cell {
	visited := map[*cell]bool{c: true}
	ring := []*cell{c}
	for len(ring) > 0 {
		var best *cell
		var next []*cell
		for _, u := range ring {
			for _, i := range of[u] {
				r := rels[i]
				for _, k := range append([]*cell{r.parent}, r.children...) {
					switch {
					case !k.withheld && k.n > 0:
						if best == nil || k.n < best.n || k.n == best.n && k.key < best.key {
							best = k
						}
					case k.withheld && !visited[k]:
						visited[k] = true
						next = append(next, k)
					}
				}
			}
		}
		if best != nil {
			return best
		}
		ring = next
	}
	return nil
}

// linkedFamilies name the families that count the same things.
var linkedFamilies = map[string]string{"engagement": "sessions", "quality": "sessions", "cost": "sessions"}

const acrossTables = "withheld so that a smaller group's figures cannot be worked out from the other figures published with it"

// cell is one group (a school, a school and provider, the district) as
// every table publishing it shows it.
type cell struct {
	key      string
	dims     []string // "dimension=value", in the shape's order
	n        int64
	withheld bool
	at       []rowAt
}

type rowAt struct {
	t *Table
	i int
}

func (c *cell) withhold(why string) {
	c.withheld = true
	for _, r := range c.at {
		if r.t.Rows[r.i].Suppressed == "" {
			r.t.withhold(r.i, why)
		}
	}
}

// groupOf is a row's shape and its "dimension=value" pairs: the table's
// dimensions, except that a total row is cut by its Within columns only.
func (t *Table) groupOf(row Row) (string, []string) {
	type pair struct{ name, value string }
	var pairs []pair
	for j, c := range t.Columns {
		if t.IsDimension(c) && (!row.Total || contains(t.Within, c)) {
			pairs = append(pairs, pair{c, fmt.Sprint(row.Values[j])})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.name, b.name) })
	names, dims := make([]string, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		names[i], dims[i] = p.name, p.name+"="+p.value
	}
	return strings.Join(names, ","), dims
}

// relation says parent = the sum of children: a group and the groups of a
// finer cut of the same family that make it up.
type relation struct {
	parent   *cell
	children []*cell // smallest first
}

func (r relation) unknowns() int {
	k := 0
	if r.parent.withheld && r.parent.n > 0 {
		k++
	}
	for _, c := range r.children {
		if c.withheld && c.n > 0 {
			k++
		}
	}
	return k
}

// smallestShown is the child to withhold next: the smallest group shown
// that rests on students (withholding an empty group protects nothing).
func (r relation) smallestShown() *cell {
	for _, c := range r.children {
		if !c.withheld && c.n > 0 {
			return c
		}
	}
	return nil
}

// relations lists, for every family, each group of each cut against the
// groups of each next finer cut that make it up (a sum across two steps
// follows from the two).
func relations(byFamily map[string]map[string][]*cell) []relation {
	var out []relation
	for _, family := range slices.Sorted(maps.Keys(byFamily)) {
		shapes := byFamily[family]
		names := slices.Sorted(maps.Keys(shapes))
		for _, coarse := range names {
			for _, fine := range names {
				if !finer(fine, coarse) || between(names, fine, coarse) {
					continue
				}
				parts := map[string][]*cell{}
				for _, c := range shapes[fine] {
					k := projection(c.dims, coarse)
					parts[k] = append(parts[k], c)
				}
				for _, p := range shapes[coarse] {
					kids := append([]*cell(nil), parts[strings.Join(p.dims, "\x00")]...)
					sort.Slice(kids, func(a, b int) bool {
						if kids[a].n != kids[b].n {
							return kids[a].n < kids[b].n
						}
						return kids[a].key < kids[b].key
					})
					out = append(out, relation{parent: p, children: kids})
				}
			}
		}
	}
	return out
}

// between says whether a cut lies strictly between coarse and fine: the
// sum from coarse to fine then follows from the two sums through it.
func between(shapes []string, fine, coarse string) bool {
	for _, m := range shapes {
		if finer(m, coarse) && finer(fine, m) {
			return true
		}
	}
	return false
}

// finer says whether shape fine is cut by every dimension of coarse and more.
func finer(fine, coarse string) bool {
	f, c := split(fine), split(coarse)
	if len(f) <= len(c) {
		return false
	}
	for _, d := range c {
		if !contains(f, d) {
			return false
		}
	}
	return true
}

func split(shape string) []string {
	if shape == "" {
		return nil
	}
	return strings.Split(shape, ",")
}

// projection keeps the pairs of dims whose dimension is in shape.
func projection(dims []string, shape string) string {
	keep := split(shape)
	var out []string
	for _, d := range dims {
		if contains(keep, d[:strings.IndexByte(d, '=')]) {
			out = append(out, d)
		}
	}
	return strings.Join(out, "\x00")
}
