package metrics_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/internal/disclosure"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
)

// atom is a school, week and provider's students and sessions.
type atom struct {
	school, week, provider string
	students, sessions     int64
}

// cutOf sums atoms into a table cut by the dimensions by, with a total
// row, and withholds its small cells as the runner does.
func cutOf(family string, atoms []atom, by []string, extra func(int64) int64) *metrics.Table {
	t := &metrics.Table{Family: family, NColumn: "students", By: by, Columns: append(append([]string(nil), by...), "students", "sessions")}
	index := map[string]int{}
	var total metrics.Row
	total.Total = true
	total.Values = make([]any, len(t.Columns))
	var tn, ts int64
	for _, a := range atoms {
		var key []string
		var vals []any
		for _, d := range by {
			v := map[string]string{"school": a.school, "week": a.week, "provider": a.provider}[d]
			key = append(key, v)
			vals = append(vals, v)
		}
		k := strings.Join(key, "|")
		i, ok := index[k]
		if !ok {
			i = len(t.Rows)
			index[k] = i
			t.Rows = append(t.Rows, metrics.Row{Values: append(vals, int64(0), int64(0))})
		}
		r := &t.Rows[i]
		r.Values[len(by)] = r.Values[len(by)].(int64) + a.students
		r.Values[len(by)+1] = r.Values[len(by)+1].(int64) + a.sessions
		tn += a.students
		ts += a.sessions
	}
	for i := range t.Rows {
		t.Rows[i].N = extra(t.Rows[i].Values[len(by)].(int64))
	}
	total.Values[len(by)], total.Values[len(by)+1], total.N = tn, ts, tn
	t.Rows = append(t.Rows, total)
	metrics.Suppress(t, 10)
	return t
}

// packetCuts are engagement and quality cut the ways a packet cuts them;
// quality's n is qualityN of engagement's.
func packetCuts(atoms []atom, qualityN func(int64) int64) []*metrics.Table {
	same := func(n int64) int64 { return n }
	return []*metrics.Table{
		cutOf("engagement", atoms, []string{"school", "provider"}, same),
		cutOf("engagement", atoms, []string{"week", "provider"}, same),
		cutOf("engagement", atoms, []string{"provider"}, same),
		cutOf("engagement", atoms, []string{"school"}, same),
		cutOf("engagement", atoms, []string{"school", "week", "provider"}, same),
		cutOf("quality", atoms, []string{"provider"}, qualityN),
		cutOf("quality", atoms, []string{"school", "provider"}, qualityN),
	}
}

// Random districts with many small cells, cut the ways a packet cuts
// engagement and quality: after ProtectAcross, the disclosure audit
// (linear algebra over every published row) recovers no withheld row.
func TestProtectAcrossLeavesNothingRecoverable(t *testing.T) {
	t.Parallel()
	withheldSeen, before := 0, 0
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		var atoms []atom
		for s := 0; s < 2+rng.IntN(4); s++ {
			for p := 0; p < 1+rng.IntN(3); p++ {
				if rng.IntN(4) == 0 {
					continue // not every provider is in every school
				}
				for w := 0; w < 2+rng.IntN(5); w++ {
					n := int64(rng.IntN(16))
					if n == 0 {
						continue
					}
					atoms = append(atoms, atom{fmt.Sprint("s", s), fmt.Sprintf("2025-09-%02d", 1+7*w), fmt.Sprint("p", p), n, n * int64(1+rng.IntN(4))})
				}
			}
		}
		tables := packetCuts(atoms, func(n int64) int64 { return n + int64(rng.IntN(2)) }) // quality counts a few more
		dir := filepath.Join(t.TempDir(), "district")
		write := func() []string {
			var files []string
			for i, tb := range tables {
				path := filepath.Join(dir, "tables", fmt.Sprintf("%d.csv", i))
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := metrics.SaveCSV(path, tb); err != nil {
					t.Fatal(err)
				}
				files = append(files, path)
			}
			return files
		}
		rep, err := disclosure.Files(write(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		before += len(rep.Findings)
		metrics.ProtectAcross(tables)
		rep, err = disclosure.Files(write(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		withheldSeen += rep.Withheld
		for _, f := range rep.Findings {
			t.Errorf("seed %d: %s", seed, f)
		}
	}
	// The districts must put the rule to work: each table alone leaves
	// cells recoverable from the others before ProtectAcross runs.
	if before == 0 || withheldSeen < 100 {
		t.Errorf("the random districts gave %d recoverable cells before and %d withheld after; the test needs both", before, withheldSeen)
	}
	t.Logf("%d cells recoverable table by table; after ProtectAcross, %d withheld and none recoverable", before, withheldSeen)
}

// A district of 600 schools, two or three providers each, 40 weeks,
// growing from a few students a week to many: the cells of a 300k-student
// district's packets.
func BenchmarkProtectAcross600Schools(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var atoms []atom
	for s := 0; s < 600; s++ {
		for p := 0; p < 3; p++ {
			if rng.IntN(6) == 0 {
				continue
			}
			for w := 0; w < 40; w++ {
				n := int64(min(w*3, 60) + rng.IntN(6))
				atoms = append(atoms, atom{fmt.Sprint("s", s), fmt.Sprintf("w%02d", w), fmt.Sprint("p", p), n, n * 3})
			}
		}
	}
	withheld := 0
	for b.Loop() {
		tables := packetCuts(atoms, func(n int64) int64 { return n })
		metrics.ProtectAcross(tables)
		withheld = 0
		for _, r := range tables[4].Rows {
			if r.Suppressed != "" {
				withheld++
			}
		}
	}
	b.ReportMetric(float64(withheld), "withheld-cells")
}
