package disclosure

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/gonum/mat"
)

// write puts a metrics-style CSV (BOM, family, period, dimensions, a
// figure, n, withheld) in dir/tables.
func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "tables"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "tables", name)
	if err := os.WriteFile(path, []byte("\ufeff"+strings.TrimLeft(text, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func audit(t *testing.T, dir string) *Report {
	t.Helper()
	rep, err := Packet(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestASchoolLessItsOtherProviderGivesTheWithheldOneAway(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	write(t, dir, "by-school.csv", `
family,period,school,sessions,n,withheld
engagement,year,s1,120,30,
engagement,year,s2,80,20,
engagement,year,all,200,50,
`)
	write(t, dir, "by-school-provider.csv", `
family,period,school,provider,sessions,n,withheld
engagement,year,s1,a,100,25,
engagement,year,s1,b,,,fewer than 10 students
engagement,year,s2,a,,,withheld so that a smaller group's figures cannot be worked out from the total
engagement,year,s2,c,50,12,
engagement,year,all,all,200,50,
`)
	rep := audit(t, dir)
	if rep.Withheld != 2 || len(rep.Findings) != 2 {
		t.Fatalf("found %v among %d withheld; want both withheld rows (each school less its other provider)", rep.Findings, rep.Withheld)
	}
	if !strings.Contains(rep.Findings[0].String(), "by-school-provider.csv:3: withheld provider=b school=s1") {
		t.Errorf("finding = %s", rep.Findings[0])
	}
}

func TestTwoWithheldInEveryTotalHoldTogether(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	write(t, dir, "by-school.csv", `
family,period,school,sessions,n,withheld
engagement,year,s1,120,30,
engagement,year,s2,80,20,
engagement,year,all,200,50,
`)
	write(t, dir, "by-school-provider.csv", `
family,period,school,provider,sessions,n,withheld
engagement,year,s1,a,,,x
engagement,year,s1,b,,,x
engagement,year,s2,a,,,x
engagement,year,s2,b,,,x
engagement,year,all,all,200,50,
`)
	if rep := audit(t, dir); len(rep.Findings) != 0 || rep.Withheld != 4 {
		t.Errorf("findings %v among %d withheld; want none among 4 (a 2x2 block is safe)", rep.Findings, rep.Withheld)
	}
}

func TestAYearLessItsOtherWeeksGivesTheWithheldWeekAway(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "school-101")
	write(t, dir, "year.csv", `
family,period,school,provider,sessions,n,withheld
engagement,year,101,a,300,40,
engagement,year,all,all,9000,900,
`)
	// The weekly table drops the school column in a school's packet.
	write(t, dir, "weekly.csv", `
family,period,provider,week,sessions,n,withheld
engagement,year,a,2025-09-08,,,fewer than 10 students
engagement,year,a,2025-09-15,150,30,
engagement,year,a,2025-09-22,140,35,
engagement,year,all,all,9000,900,
`)
	rep := audit(t, dir)
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Row, "week=2025-09-08") {
		t.Fatalf("findings %v; want the withheld week", rep.Findings)
	}
}

func TestTheDistrictTotalHidesOtherSchoolsInASchoolPacket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "school-101")
	write(t, dir, "by-school-provider.csv", `
family,period,school,provider,sessions,n,withheld
engagement,year,101,a,100,25,
engagement,year,101,b,,,fewer than 10 students
engagement,year,all,all,9000,900,
`)
	if rep := audit(t, dir); len(rep.Findings) != 0 {
		t.Errorf("findings %v; the district total counts other schools, so it gives nothing away", rep.Findings)
	}
	// With the school's own row beside it, the subtraction works.
	write(t, dir, "by-school.csv", `
family,period,school,sessions,n,withheld
engagement,year,101,104,30,
engagement,year,all,9000,900,
`)
	if rep := audit(t, dir); len(rep.Findings) != 1 {
		t.Errorf("findings %v; want the withheld provider (the school's row less the other's)", rep.Findings)
	}
}

func TestQualityCountsEngagementsSessions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	write(t, dir, "engagement.csv", `
family,period,school,provider,sessions_scheduled,n,withheld
engagement,year,s1,a,,,fewer than 10 students
engagement,year,s1,b,,,withheld so that a smaller group's figures cannot be worked out from the total
engagement,year,all,all,200,50,
`)
	write(t, dir, "quality.csv", `
family,period,school,provider,sessions,n,withheld
quality,year,s1,a,40,12,
quality,year,s1,b,160,38,
quality,year,all,all,200,50,
`)
	if rep := audit(t, dir); len(rep.Findings) != 2 {
		t.Errorf("findings %v; want both engagement rows, which quality publishes", rep.Findings)
	}
}

func TestGrowthTotalsAreByGroup(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "district")
	write(t, dir, "growth.csv", `
family,period,school,group,students,n,withheld
growth,year,s1,tutored,,,fewer than 10 students
growth,year,s2,tutored,30,30,
growth,year,s1,comparison,50,50,
growth,year,s2,comparison,60,60,
growth,year,all,tutored,38,38,
growth,year,all,comparison,110,110,
`)
	rep := audit(t, dir)
	if len(rep.Findings) != 1 || rep.Findings[0].Row != "group=tutored school=s1" {
		t.Errorf("findings %v; want s1's tutored row (the tutored total less s2's)", rep.Findings)
	}
}

// The span modulo a prime agrees with the rank of the same 0/1 vectors
// over the reals (gonum's SVD) on random systems.
func TestSpanAgreesWithRealRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		rows, cols := 1+rng.IntN(8), 1+rng.IntN(9)
		m := mat.NewDense(rows, cols, nil)
		var s metrics.Span
		for i := 0; i < rows; i++ {
			v := make([]uint64, cols)
			for j := range v {
				if rng.IntN(3) == 0 {
					v[j] = 1
					m.Set(i, j, 1)
				}
			}
			s.Add(v)
		}
		probe := make([]uint64, cols)
		pm := mat.NewDense(rows+1, cols, nil)
		pm.Copy(m)
		for j := range probe {
			if rng.IntN(2) == 0 {
				probe[j] = 1
				pm.Set(rows, j, 1)
			}
		}
		in := rank(m) == rank(pm)
		if got := s.Contains(probe); got != in {
			t.Fatalf("trial %d: contains = %v, real ranks say %v\n%v\n%v", trial, got, in, mat.Formatted(m), probe)
		}
		if s.Rank() != rank(m) {
			t.Fatalf("trial %d: basis of %d, real rank %d", trial, s.Rank(), rank(m))
		}
	}
}

func rank(m *mat.Dense) int {
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDNone) {
		panic("svd")
	}
	return svd.Rank(1e-9)
}
