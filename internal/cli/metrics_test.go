package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
)

// What programs get from metrics: plain records in JSON and JSON Lines, one
// CSV table per stream or one file per family.
func TestMetricsFormats(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, out, errOut := run(t, "demo", "--out", dir, "--students", "300", "--seed", "5"); code != ExitOK {
		t.Fatalf("demo: %d\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")

	code, out, errOut := run(t, "metrics", "--config", cfg, "--by", "provider", "--format", "json")
	var recs []map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &recs) != nil || len(recs) == 0 {
		t.Fatalf("--format json: exit %d, want an array of records\n%s%s", code, out, errOut)
	}
	families := map[string]bool{}
	for _, r := range recs {
		families[r["family"].(string)] = true
		if _, nested := r["rows"]; nested {
			t.Fatalf("a record holds rows: %v", r)
		}
		if _, ok := r["n"]; !ok {
			t.Fatalf("a record without n: %v", r)
		}
	}
	if len(families) != 6 {
		t.Errorf("records of %d families, want all 6: %v", len(families), families)
	}
	first := recs[0]
	if first["family"] != "engagement" || first["provider"] == nil || first["students_scheduled"] == nil {
		t.Errorf("first record %v, want engagement's first provider with its figures by name", first)
	}
	if _, isNumber := first["students_scheduled"].(float64); !isNumber {
		t.Errorf("students_scheduled is %T, want a number", first["students_scheduled"])
	}

	code, out, _ = run(t, "metrics", "--config", cfg, "--by", "provider", "--format", "jsonl")
	sc := bufio.NewScanner(strings.NewReader(out))
	lines := 0
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("jsonl line %d: %v: %s", lines+1, err, sc.Text())
		}
		lines++
	}
	if code != ExitOK || lines != len(recs) {
		t.Errorf("--format jsonl: exit %d, %d lines for %d records", code, lines, len(recs))
	}

	code, _, errOut = run(t, "metrics", "--config", cfg, "--format", "csv")
	if code != ExitUsage || !strings.Contains(errOut, "--family NAME") || !strings.Contains(errOut, "--out DIR") {
		t.Errorf("--format csv of every family to standard output: exit %d, want a usage error naming --family and --out\n%s", code, errOut)
	}
	code, out, _ = run(t, "metrics", "--config", cfg, "--family", "cost", "--format", "csv")
	if code != ExitOK || !strings.HasPrefix(out, "family,period,") || strings.Count(out, "family,period,") != 1 {
		t.Errorf("--family cost --format csv: exit %d, want one table\n%s", code, out)
	}
	outDir := filepath.Join(dir, "m")
	if code, out, errOut := run(t, "metrics", "--config", cfg, "--by", "school", "--format", "csv", "--out", outDir); code != ExitOK {
		t.Fatalf("--out: exit %d\n%s%s", code, out, errOut)
	}
	for f := range families {
		b, err := os.ReadFile(filepath.Join(outDir, f+".csv"))
		if err != nil || !strings.HasPrefix(string(b), excelsafe.BOM+"family,period,") {
			t.Errorf("%s.csv: %v, want a CSV file starting with the byte-order mark", f, err)
		}
	}
}
