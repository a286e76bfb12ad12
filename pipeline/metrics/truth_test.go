package metrics

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// The adjusted effects recover the effects the synthetic district's
// generator planted (truth.json). One district's six provider estimates
// (3 providers x 2 subjects) all fall inside their 95% intervals only about
// three times in four even when nothing is wrong, so the test asks what a
// correct estimator guarantees, over three districts (seeds 1-3; seed 1 is
// the demo's):
//   - every provider estimate is within 3 standard errors of its truth;
//   - at least 80% of the 95% intervals hold their truth (expected 95%);
//   - the mean standardised deviation is within 0.7 (no systematic bias);
//   - in every district the dose-response rises from the lowest band of
//     hours to the highest, and never falls by more than 2 SE between bands.
//
// Measured when written: seed 1's ELA estimate for learnwell is 2.1 SE low,
// the one interval of 18 that misses.
func TestImpactRecoversPlantedTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and loads three 6,000-student districts")
	}
	t.Parallel()
	var devs []float64
	covered := 0
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			d, c := recoverDistrict(t, seed)
			devs = append(devs, d...)
			covered += c
		})
	}
	if len(devs) != 18 {
		t.Fatalf("%d provider estimates, want 18", len(devs))
	}
	var sum float64
	for _, d := range devs {
		sum += d
	}
	mean := sum / float64(len(devs))
	t.Logf("%d of %d intervals hold the truth; mean deviation %+.2f SE", covered, len(devs), mean)
	if covered < 15 {
		t.Errorf("only %d of %d 95%% intervals hold the planted effect", covered, len(devs))
	}
	if math.Abs(mean) > 0.7 {
		t.Errorf("estimates are off by %+.2f SE on average: a bias, not noise", mean)
	}
}

// recoverDistrict generates, loads and fits one district; it returns each
// provider estimate's deviation from the truth in SEs, and how many of its
// intervals hold the truth.
func recoverDistrict(t *testing.T, seed int64) ([]float64, int) {
	d := testdistrict.Load(t, 6000, seed)
	truth, err := synth.ReadTruth(filepath.Join(d.Dir, synth.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	s, w := d.Setup, d.Warehouse
	c, err := w.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := New(t.Context(), c, s.Config, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := r.Run(t.Context(), "impact", Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(subject, model, term string) (b, lo, hi, se float64) {
		t.Helper()
		for _, row := range tb.Rows {
			v := row.Values
			if v[0] == subject && v[2] == model && v[3] == term {
				if v[4] == nil {
					t.Fatalf("%s %s %s: no estimate (%v %v)", subject, model, term, row.Suppressed, v[14])
				}
				return v[4].(float64), v[6].(float64), v[7].(float64), v[5].(float64)
			}
		}
		t.Fatalf("no estimate %s / %s / %s", subject, model, term)
		return
	}
	window := s.Config.Impact.OutcomeWindow
	var devs []float64
	covered := 0
	for _, subject := range []string{"math", "ela"} {
		wt := truth.Impact[subject][window]
		if wt == nil || len(wt.Providers) != 3 {
			t.Fatalf("truth.json has no %s %s effects for 3 providers", subject, window)
		}
		for p, pt := range wt.Providers {
			b, lo, hi, se := get(subject, "provider "+p, "tutored by "+p)
			dev := (b - *pt.EffectSD) / se
			t.Logf("%s %s: %.3f [%.3f, %.3f], truth %.3f (%+.1f SE)", subject, p, b, lo, hi, *pt.EffectSD, dev)
			if math.Abs(dev) > 3 {
				t.Errorf("%s %s: estimate %.3f is %.1f SE from the planted %.3f", subject, p, b, dev, *pt.EffectSD)
			}
			if lo <= *pt.EffectSD && *pt.EffectSD <= hi {
				covered++
			}
			devs = append(devs, dev)
		}
		var prev, first, last float64
		for i, band := range []string{"(0,5]", "(5,10]", "(10,20]", "(20,30]", ">30"} {
			b, _, _, se := get(subject, modelDose, "hours "+band)
			if i > 0 && b < prev-2*se {
				t.Errorf("%s: the dose-response falls from %.3f to %.3f at %s", subject, prev, b, band)
			}
			if i == 0 {
				first = b
			}
			prev, last = b, b
		}
		if last <= first {
			t.Errorf("%s: the dose-response does not rise: %.3f at (0,5] to %.3f above 30 hours", subject, first, last)
		}
		if !strings.HasPrefix(tb.Period, "school year") {
			t.Errorf("period %q", tb.Period)
		}
	}
	return devs, covered
}
