package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hitreflect/hitreflect/internal/disclosure"
)

// auditOutputs tries to work out every withheld cell of every packet of a
// demo's output folder, and of its nightly metrics folder, from the cells
// published beside it (issue 15: suppression that holds across tables).
// It returns how many withheld cells it checked.
func auditOutputs(t *testing.T, out string) int {
	t.Helper()
	packets, err := filepath.Glob(filepath.Join(out, "year", "*"))
	if err != nil || len(packets) == 0 {
		t.Fatalf("no packets under %s (%v)", out, err)
	}
	checked := 0
	for _, p := range packets {
		rep, err := disclosure.Packet(p)
		if err != nil {
			t.Fatal(err)
		}
		checked += rep.Withheld
		for _, f := range rep.Findings {
			t.Errorf("%s", f)
		}
	}
	nights, _ := filepath.Glob(filepath.Join(out, "metrics", "*"))
	for _, night := range nights {
		files, _ := filepath.Glob(filepath.Join(night, "*.csv"))
		rep, err := disclosure.Files(files, "", "")
		if err != nil {
			t.Fatal(err)
		}
		checked += rep.Withheld
		for _, f := range rep.Findings {
			t.Errorf("%s", f)
		}
	}
	if len(nights) == 0 {
		t.Errorf("no nightly metrics folder under %s", out)
	}
	return checked
}

// The demo as a newcomer runs it: no withheld cell of its packets or of its
// metrics folder can be recovered from the others.
func TestDemoGivesNoWithheldCellAway(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, out, errOut := run(t, "demo", "--out", dir); code != ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errOut)
	}
	if n := auditOutputs(t, filepath.Join(dir, "out")); n == 0 {
		t.Error("the demo's packets withhold nothing: the audit checked no cell")
	} else {
		t.Logf("%d withheld cells checked, none recoverable", n)
	}
	// A small district withholds far more; the same must hold.
	small := filepath.Join(t.TempDir(), "small")
	if code, out, errOut := run(t, "demo", "--out", small, "--students", "300", "--seed", "11"); code != ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("small district: %d withheld cells checked", auditOutputs(t, filepath.Join(small, "out")))
	_ = os.RemoveAll(small)
}
