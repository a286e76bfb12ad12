package metrics

import (
	"slices"
	"testing"

	"github.com/hitreflect/hitreflect/queries"
)

// Every family runs for every single dimension and for all of them at once,
// keeps exactly the asked dimensions, and never returns a row whose n does
// not match its n column. A broken .sql file fails here, not at 2 a.m.
func TestEveryFamilyEveryDimension(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "")
	cuts := [][]string{nil}
	for _, d := range queries.Dimensions {
		cuts = append(cuts, []string{d})
	}
	cuts = append(cuts, queries.Dimensions)
	for _, f := range Families {
		for _, by := range cuts {
			tb, err := r.Run(t.Context(), f.Name, Options{By: by})
			if err != nil {
				t.Errorf("%s by %v: %v", f.Name, by, err)
				continue
			}
			if f.Name == "cost" && len(by) > 0 && !slices.Contains([]string{"provider", "school"}, by[0]) && tb.Note == "" {
				t.Errorf("cost by %v: no note that the cut does not apply", by)
			}
			if len(tb.Rows) == 0 {
				t.Errorf("%s by %v: no rows", f.Name, by)
			}
			for _, d := range queries.Dimensions {
				has := slices.Contains(tb.Columns, d)
				asked := slices.Contains(by, d) || slices.Contains(tb.Within, d)
				if f.Name != "impact" && f.Name != "cost" && has != asked {
					t.Errorf("%s by %v: column %s present=%v, asked=%v", f.Name, by, d, has, asked)
				}
			}
			// n is the smallest non-zero count of students the row rests on.
			if c := indexOf(tb.Columns, f.NColumn); c >= 0 {
				for _, row := range tb.Rows {
					want := asInt(row.Values[c])
					for _, also := range f.AlsoN {
						if m := asInt(row.Values[indexOf(tb.Columns, also)]); m > 0 && m < want {
							want = m
						}
					}
					if row.Suppressed == "" && want != row.N {
						t.Errorf("%s by %v: n %d, want %d", f.Name, by, row.N, want)
					}
				}
			}
		}
	}
}
