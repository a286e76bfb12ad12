package impact

import (
	"fmt"
	"math"
	"sort"
)

// MatchUnit is one student offered to Match: tutored (treated) or a
// possible comparison student.
type MatchUnit struct {
	Treated bool
	Stratum string  // matched exactly: grade and the roster flags
	School  string  // preferred: a comparison student of the same school comes first
	Score   float64 // the baseline z-score matched on
}

// MatchOptions are the matching's two settings.
type MatchOptions struct {
	Caliper float64 // widest |Δ score| of a match, in the score's units (SD for z-scores)
	K       int     // comparison students per treated student, at most
}

// Matching is the result of Match, by unit in the order given.
type Matching struct {
	// Weights: 1 for a matched treated unit; for a comparison unit the sum
	// over the treated units it was matched to of 1/(their number of
	// matches), scaled so the comparison weights add up to the number of
	// distinct comparison units matched (MatchIt's ATT weights); 0 for a
	// unit left out.
	Weights []float64
	// Matches[i] lists treated unit i's comparison units, nearest first
	// (nil for a comparison unit, empty for an unmatched treated one).
	Matches [][]int

	Treated, Unmatched int     // treated units matched, and left with no match
	Controls           int     // distinct comparison units matched
	EffectiveControls  float64 // (Σw)²/Σw² over the comparison units: how many equally weighted students they are worth
	OtherSchool        int     // treated units with at least one match from another school
}

// Match pairs every treated unit with up to K comparison units of the same
// stratum whose score is within the caliper, nearest first, with
// replacement (a comparison unit may serve several treated units):
// comparison units of the treated unit's own school come first, and only
// when fewer than K of them are within the caliper is the rest filled from
// the stratum's other schools. Equal distances go to the unit given first.
//
// It is nearest-neighbour matching on the distance |Δ score| + P·[other
// school], P larger than the caliper, with exact strata and a caliper on
// the score: what MatchIt's matchit(method = "nearest", replace = TRUE,
// ratio = K, exact = strata, caliper = c(score = caliper), std.caliper =
// FALSE) does given that distance matrix.
func Match(units []MatchUnit, opt MatchOptions) (*Matching, error) {
	if opt.K < 1 {
		return nil, fmt.Errorf("impact: match %d comparison students per student; want 1 or more", opt.K)
	}
	if !(opt.Caliper > 0) {
		return nil, fmt.Errorf("impact: caliper %v; want above 0", opt.Caliper)
	}
	// Comparison units by stratum, and by stratum and school, sorted by score.
	type key struct{ stratum, school string }
	byStratum := map[string][]int{}
	bySchool := map[key][]int{}
	for i, u := range units {
		if math.IsNaN(u.Score) || math.IsInf(u.Score, 0) {
			return nil, fmt.Errorf("impact: unit %d has score %v", i+1, u.Score)
		}
		if !u.Treated {
			byStratum[u.Stratum] = append(byStratum[u.Stratum], i)
			k := key{u.Stratum, u.School}
			bySchool[k] = append(bySchool[k], i)
		}
	}
	byScore := func(list []int) {
		sort.SliceStable(list, func(a, b int) bool { return units[list[a]].Score < units[list[b]].Score })
	}
	for _, l := range byStratum {
		byScore(l)
	}
	for _, l := range bySchool {
		byScore(l)
	}

	m := &Matching{Weights: make([]float64, len(units)), Matches: make([][]int, len(units))}
	for i, u := range units {
		if !u.Treated {
			continue
		}
		got := nearest(units, bySchool[key{u.Stratum, u.School}], u.Score, opt.Caliper, opt.K, "")
		if len(got) < opt.K {
			more := nearest(units, byStratum[u.Stratum], u.Score, opt.Caliper, opt.K-len(got), u.School)
			if len(more) > 0 {
				m.OtherSchool++
			}
			got = append(got, more...)
		}
		m.Matches[i] = got
		if len(got) == 0 {
			m.Unmatched++
			continue
		}
		m.Treated++
		m.Weights[i] = 1
		for _, c := range got {
			m.Weights[c] += 1 / float64(len(got))
		}
	}
	var sum, sum2 float64
	for i, u := range units {
		if !u.Treated && m.Weights[i] > 0 {
			m.Controls++
			sum += m.Weights[i]
		}
	}
	for i, u := range units {
		if !u.Treated && m.Weights[i] > 0 {
			m.Weights[i] *= float64(m.Controls) / sum
			sum2 += m.Weights[i] * m.Weights[i]
		}
	}
	if m.Controls > 0 {
		m.EffectiveControls = float64(m.Controls) * float64(m.Controls) / sum2
	}
	return m, nil
}

// nearest returns up to k units of list (sorted by score) within caliper of
// score, nearest first, equal distances in the order the units were given,
// skipping units of school skip (when not "").
func nearest(units []MatchUnit, list []int, score, caliper float64, k int, skip string) []int {
	if len(list) == 0 || k <= 0 {
		return nil
	}
	at := sort.Search(len(list), func(i int) bool { return units[list[i]].Score >= score })
	lo, hi := at-1, at
	dist := func(j int) float64 { return math.Abs(units[list[j]].Score - score) }
	var got []int
	last := math.Inf(1)
	// Walk outwards in order of distance, taking every unit up to the k-th
	// distance (ties included), then keep the k first by (distance, order).
	for {
		for lo >= 0 && skip != "" && units[list[lo]].School == skip {
			lo--
		}
		for hi < len(list) && skip != "" && units[list[hi]].School == skip {
			hi++
		}
		var next int
		switch {
		case lo >= 0 && hi < len(list):
			if dist(lo) <= dist(hi) {
				next, lo = lo, lo-1
			} else {
				next, hi = hi, hi+1
			}
		case lo >= 0:
			next, lo = lo, lo-1
		case hi < len(list):
			next, hi = hi, hi+1
		default:
			next = -1
		}
		if next < 0 {
			break
		}
		d := dist(next)
		if d > caliper || (len(got) >= k && d > last) {
			break
		}
		got = append(got, list[next])
		last = d
	}
	sort.SliceStable(got, func(a, b int) bool {
		da, db := math.Abs(units[got[a]].Score-score), math.Abs(units[got[b]].Score-score)
		if da != db {
			return da < db
		}
		return got[a] < got[b]
	})
	if len(got) > k {
		got = got[:k]
	}
	return got
}
