package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The whole job on a small synthetic district, then the commands a data
// person uses on it the next morning.
func TestDemoThenIngestStatusRejects(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := run(t, "demo", "--out", dir, "--students", "300", "--seed", "3")
	if code != ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Done: 25 files loaded") {
		t.Errorf("demo output lacks the summary:\n%s", out)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	info, err := os.Stat(filepath.Join(dir, "data"))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("warehouse folder mode %v (%v), want 0700", info.Mode().Perm(), err)
	}
	if info, err := os.Stat(filepath.Join(dir, "data", "hitreflect.duckdb")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("warehouse file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}

	code, out, _ = run(t, "ingest", "--config", cfg)
	if code != ExitOK || !strings.Contains(out, "Nothing new: all 25 files were loaded before.") {
		t.Errorf("second ingest: exit %d\n%s", code, out)
	}

	code, out, _ = run(t, "status", "--config", cfg, "--json")
	var files []FileStatus
	if code != ExitOK || json.Unmarshal([]byte(out), &files) != nil || len(files) != 25 {
		t.Fatalf("status --json: exit %d, %d files\n%s", code, len(files), out)
	}
	var rejected int64
	for _, f := range files {
		if f.Read != f.Loaded+f.Rejected+f.Duplicate+f.Skipped {
			t.Errorf("%s does not reconcile: %+v", f.Path, f)
		}
		rejected += f.Rejected
	}
	if rejected == 0 {
		t.Errorf("the demo plants bad rows, but none were rejected")
	}

	code, out, _ = run(t, "rejects", "--config", cfg)
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != ExitOK || err != nil || len(records) < int(rejected)+1 {
		t.Fatalf("rejects: exit %d, %d records for %d rejected rows (%v)", code, len(records), rejected, err)
	}
	if strings.Join(records[0], ",") != "source,file,line,record,column,field,value,reason" {
		t.Errorf("rejects header %v", records[0])
	}
	for _, r := range records[1:] {
		if r[2] == "0" || r[7] == "" {
			t.Errorf("reject without a line or a reason: %v", r)
		}
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "hitreflect.yaml")
	os.WriteFile(good, []byte(`district: Test
providers: [{id: acme}]
sources:
  - {name: acme, kind: sessions, provider: acme, connector: {type: local, path: landing}, profile: canonical-sessions}
`), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("district: Test\nsources:\n  - {name: x, kind: sessions, provider: nobody, connector: {type: ftp}, profile: canonical-sessions}\n"), 0o600)
	file := filepath.Join(dir, "s.csv")
	os.WriteFile(file, []byte("session_id,StudentID,session_date,duration_minutes,status\nS1,1,2025-09-03,30,attended\n"), 0o600)

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"ingets"}, ExitUsage, `unknown command "ingets"`},
		{"missing --config", []string{"ingest"}, ExitUsage, "--config is required"},
		{"config errors name the line", []string{"check", "--config", bad}, ExitUsage, bad + `:3: sources[0].provider: no provider "nobody"`},
		{"connector type checked up front", []string{"check", "--config", bad}, ExitUsage, `sources[0].connector.type: unknown connector type "ftp" (known: local)`},
		{"config ok", []string{"check", "--config", good}, ExitOK, "config OK"},
		{"file rejected whole", []string{"check", "--config", good, "--source", "acme", file}, ExitFailed, `did you mean "StudentID"?`},
		{"files need --source", []string{"ingest", "--config", good, file}, ExitUsage, "needs --source"},
		{"missing landing folder", []string{"ingest", "--config", good}, ExitFailed, "list landing folder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, c.args...)
			if code != c.code || !strings.Contains(out+errOut, c.want) {
				t.Errorf("exit %d, want %d; output should contain %q:\n%s%s", code, c.code, c.want, out, errOut)
			}
		})
	}
}
