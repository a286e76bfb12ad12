package impact

import (
	"encoding/csv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// The matched design equals MatchIt + estimatr (testdata/matched): the same
// students matched with the same weights, and the same coefficient, HC2 and
// CR2 standard errors and weighted baseline difference, to 1e-6.
func TestMatchedDesignAgreesWithR(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "matched")
	refs := map[string]string{"committed": filepath.Join(dir, "reference")}
	if rscript, err := exec.LookPath("Rscript"); err == nil {
		live := t.TempDir()
		cmd := exec.Command(rscript, "reference.R", "sample.csv", live)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("Rscript reference.R: %v\n%s", err, out)
		}
		refs["live R"] = live
	} else if os.Getenv("CI") != "" {
		t.Fatal("Rscript is not installed: .ci/run installs r-base-core r-cran-matchit r-cran-estimatr")
	} else {
		t.Log("Rscript is not installed (apt-get install r-base-core r-cran-matchit r-cran-estimatr): comparing with the committed R results only")
	}

	rows := readCSV(t, filepath.Join(dir, "sample.csv"))[1:]
	units := make([]MatchUnit, len(rows))
	var ids, schools, grades []string
	var y, zb, treat []float64
	for i, r := range rows {
		units[i] = MatchUnit{Treated: r[5] == "1", Stratum: r[2] + "|" + r[3] + "|" + r[4], School: r[1], Score: num(t, r[6])}
		ids = append(ids, r[0])
		schools, grades = append(schools, r[1]), append(grades, r[2])
		y, zb, treat = append(y, num(t, r[7])), append(zb, num(t, r[6])), append(treat, num(t, r[5]))
	}
	mt, err := Match(units, MatchOptions{Caliper: 0.2, K: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The matched sample, as metrics fits it.
	var d Design
	var ms, mg []string
	var w, tb, cb, to, co, tw, cw []float64
	var tcol, bcol []float64
	for i := range units {
		if mt.Weights[i] == 0 {
			continue
		}
		d.Y = append(d.Y, y[i])
		tcol, bcol = append(tcol, treat[i]), append(bcol, zb[i])
		ms, mg, w = append(ms, schools[i]), append(mg, grades[i]), append(w, mt.Weights[i])
		if units[i].Treated {
			tb, to, tw = append(tb, zb[i]), append(to, y[i]), append(tw, mt.Weights[i])
		} else {
			cb, co, cw = append(cb, zb[i]), append(co, y[i]), append(cw, mt.Weights[i])
		}
	}
	d.Columns = append([]Column{{Name: "tutored", X: tcol}, {Name: "z_base", X: bcol}}, Indicators("grade", mg)...)
	fit, err := WLSAbsorb(d, ms, Weighting{Weights: w, Clusters: ms}, "tutored")
	if err != nil {
		t.Fatal(err)
	}
	bd, err := WeightedHedgesG(tb, tw, cb, cw)
	if err != nil {
		t.Fatal(err)
	}
	ud, err := WeightedHedgesG(to, tw, co, cw)
	if err != nil {
		t.Fatal(err)
	}
	before, err := HedgesG(pick(zb, treat, 1), pick(zb, treat, 0))
	if err != nil {
		t.Fatal(err)
	}
	// The whole sample, unweighted, for the sensitivity row.
	wd := Design{Y: y, Columns: append([]Column{{Name: "tutored", X: treat}, {Name: "z_base", X: zb}}, Indicators("grade", grades)...)}
	whole, err := WLSAbsorb(wd, schools, Weighting{Clusters: schools}, "tutored")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{
		"whole_effect_sd": whole.Coef["tutored"].B, "whole_std_error": whole.Coef["tutored"].SE, "whole_cluster_std_error": whole.Cluster["tutored"].SE,
		"effect_sd": fit.Coef["tutored"].B, "std_error": fit.Coef["tutored"].SE, "cluster_std_error": fit.Cluster["tutored"].SE,
		"z_base_coef": fit.Coef["z_base"].B, "z_base_std_error": fit.Coef["z_base"].SE, "z_base_cluster_std_error": fit.Cluster["z_base"].SE,
		"baseline_difference_sd": bd.B, "unadjusted_difference_sd": ud.B, "baseline_difference_before_matching": before.B,
		"n_tutored": float64(mt.Treated), "n_comparison": float64(mt.Controls), "n_tutored_unmatched": float64(mt.Unmatched),
		"n_comparison_effective": mt.EffectiveControls,
	}
	for label, ref := range refs {
		weights := readCSV(t, filepath.Join(ref, "weights.csv"))[1:]
		if len(weights) != len(ids) {
			t.Fatalf("%s: %d weights for %d students", label, len(weights), len(ids))
		}
		differ := 0
		for i, r := range weights {
			if r[0] != ids[i] {
				t.Fatalf("%s: weights row %d is %s, want %s", label, i+1, r[0], ids[i])
			}
			if math.Abs(num(t, r[1])-mt.Weights[i]) > 1e-9 {
				if differ++; differ <= 5 {
					t.Errorf("%s: %s weight %v, MatchIt %s", label, ids[i], mt.Weights[i], r[1])
				}
			}
		}
		if differ > 0 {
			t.Errorf("%s: %d of %d weights differ from MatchIt's", label, differ, len(ids))
		}
		est := readCSV(t, filepath.Join(ref, "estimates.csv"))[1:]
		if len(est) != len(got) {
			t.Errorf("%s: %d figures, want %d", label, len(est), len(got))
		}
		for _, r := range est {
			g, ok := got[r[0]]
			if !ok {
				t.Errorf("%s: %s is not computed here", label, r[0])
				continue
			}
			if want := num(t, r[1]); math.Abs(g-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: %s = %.10g, R %.10g", label, r[0], g, want)
			} else {
				t.Logf("%s: %s = %.10g, R %.10g", label, r[0], g, want)
			}
		}
	}
	// The design does what it is for: the groups start 1.4 SD apart and,
	// once matched, within WWC's 0.05.
	if before.B > -1 || math.Abs(bd.B) > 0.05 {
		t.Errorf("baseline difference %.3f before matching, %.3f after", before.B, bd.B)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func pick(x, treat []float64, v float64) []float64 {
	var out []float64
	for i := range x {
		if treat[i] == v {
			out = append(out, x[i])
		}
	}
	return out
}
