package metrics

import "math/bits"

// Span is a row-echelon basis over the integers modulo a large prime, to
// tell whether a sum of groups follows from sums already published. A
// vector of 0s and 1s in the rational span of others is in their span
// modulo p too, so nothing recoverable is missed; the converse fails only
// for a p dividing a minor of the system, which at 2^61-1 is not a worry
// for tables of this size.
type Span struct {
	rows   [][]uint64
	pivots []int
}

const prime = 1<<61 - 1

func mulmod(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	_, rem := bits.Div64(hi, lo, prime)
	return rem
}

func powmod(a, e uint64) uint64 {
	r := uint64(1)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = mulmod(r, a)
		}
		a = mulmod(a, a)
	}
	return r
}

// reduce subtracts the basis from v, in the order the basis was built:
// each basis row is zero at the pivots before its own.
func (s *Span) reduce(v []uint64) {
	for k, row := range s.rows {
		p := s.pivots[k]
		if c := v[p]; c != 0 {
			for j := p; j < len(v); j++ {
				if row[j] != 0 {
					v[j] = (v[j] + prime - mulmod(c, row[j])) % prime
				}
			}
		}
	}
}

// Add puts v in the span (v is reduced in place and kept).
func (s *Span) Add(v []uint64) {
	s.reduce(v)
	for j, x := range v {
		if x != 0 {
			inv := powmod(x, prime-2)
			for i := j; i < len(v); i++ {
				v[i] = mulmod(v[i], inv)
			}
			s.rows = append(s.rows, v)
			s.pivots = append(s.pivots, j)
			return
		}
	}
}

// Contains says whether v is a combination of the vectors added (v is
// reduced in place).
func (s *Span) Contains(v []uint64) bool {
	s.reduce(v)
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// Rank is the number of independent vectors added.
func (s *Span) Rank() int { return len(s.rows) }
