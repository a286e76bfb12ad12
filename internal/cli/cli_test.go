package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/pipeline/warehouse"
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
	if !strings.Contains(out, "Done: 26 files loaded") {
		t.Errorf("demo output lacks the summary:\n%s", out)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	// Windows has no modes: an access list there (pipeline/private tests it).
	if runtime.GOOS != "windows" {
		info, err := os.Stat(filepath.Join(dir, "data"))
		if err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("warehouse folder mode %v (%v), want 0700", info.Mode().Perm(), err)
		}
		if info, err := os.Stat(filepath.Join(dir, "data", "hitreflect.duckdb")); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("warehouse file mode %v (%v), want 0600", info.Mode().Perm(), err)
		}
	}

	before := fingerprint(t, filepath.Join(dir, "data", "hitreflect.duckdb"))
	code, out, _ = run(t, "ingest", "--config", cfg)
	if code != ExitOK || !strings.Contains(out, "Nothing new: all 26 files were loaded before.") {
		t.Errorf("second ingest: exit %d\n%s", code, out)
	}
	if after := fingerprint(t, filepath.Join(dir, "data", "hitreflect.duckdb")); after != before {
		t.Errorf("running the job twice changed the warehouse:\nbefore %s\nafter  %s", before, after)
	}

	code, out, _ = run(t, "status", "--config", cfg, "--json")
	var files []FileStatus
	if code != ExitOK || json.Unmarshal([]byte(out), &files) != nil || len(files) != 26 {
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
		{"connector type checked up front", []string{"check", "--config", bad}, ExitUsage, `sources[0].connector.type: unknown connector type "ftp" (known: `},
		{"config ok", []string{"check", "--config", good}, ExitOK, "config OK"},
		{"file rejected whole", []string{"check", "--config", good, "--source", "acme", file}, ExitFailed, `did you mean "StudentID"?`},
		{"files need --source", []string{"ingest", "--config", good, file}, ExitUsage, "needs --source"},
		{"missing landing folder", []string{"ingest", "--config", good}, ExitFailed, "landing folder " + filepath.Join(dir, "landing") + " does not exist"},
		{"unknown source", []string{"check", "--config", good, "--source", "nope", file}, ExitUsage, `no source "nope" in the config (sources: acme)`},
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

// fingerprint sums up every table of the warehouse: rows and an md5 of their text.
func fingerprint(t *testing.T, path string) string {
	t.Helper()
	w, err := warehouse.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out []string
	for _, table := range []string{"sessions", "assessments", "students", "schools", "providers", "files", "rejects", "schema_migrations"} {
		var n int64
		var sum sql.NullString
		q := `SELECT count(*), md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM ` + table + ` t`
		if err := w.DB.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out = append(out, table+"="+strconv.FormatInt(n, 10)+":"+sum.String)
	}
	return strings.Join(out, " ")
}
