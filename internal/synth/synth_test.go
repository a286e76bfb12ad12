package synth_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline/profile"
)

func generate(t *testing.T, students int, seed int64) (string, *synth.Summary, *synth.Truth) {
	t.Helper()
	dir := t.TempDir()
	sum, err := synth.Generate(t.Context(), dir, synth.Options{Students: students, Seed: seed})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	truth, err := synth.ReadTruth(filepath.Join(dir, synth.TruthFile))
	if err != nil {
		t.Fatalf("ReadTruth: %v", err)
	}
	return dir, sum, truth
}

// lines splits a file into physical lines without their endings or the BOM.
func lines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimPrefix(string(data), "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestGenerateConfigLoads(t *testing.T) {
	t.Parallel()
	dir, sum, truth := generate(t, 600, 3)
	if sum.ConfigPath != filepath.Join(dir, "hitreflect.yaml") {
		t.Errorf("ConfigPath = %s", sum.ConfigPath)
	}
	cfg, err := config.Load(sum.ConfigPath)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	data, err := os.ReadFile(sum.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := config.ParseLocated(sum.ConfigPath, data)
	if err != nil {
		t.Fatalf("config.ParseLocated: %v", err)
	}
	set, err := profile.ForConfig(lc)
	if err != nil {
		t.Fatalf("profile.ForConfig: %v", err)
	}
	for _, name := range []string{"brightpath", "learnwell", "tutorcorps", "nwea-map-cdf", "canonical-roster"} {
		if _, ok := set.Get(name); !ok {
			t.Errorf("profile %s missing", name)
		}
	}
	if len(cfg.Schools) != sum.Schools || sum.Schools != 12 || sum.Students != 600 {
		t.Errorf("schools in config %d, summary %d/%d students", len(cfg.Schools), sum.Schools, sum.Students)
	}
	for _, src := range cfg.Sources {
		if src.Schedule != "" {
			t.Errorf("source %s has a schedule", src.Name)
		}
		path := cfg.Resolve(src.Connector["path"].(string))
		matches, _ := filepath.Glob(filepath.Join(path, src.Connector["pattern"].(string)))
		if len(matches) == 0 {
			t.Errorf("source %s: no files match %s in %s", src.Name, src.Connector["pattern"], path)
		}
	}
	if len(truth.Providers) != 3 {
		t.Errorf("truth has %d providers", len(truth.Providers))
	}
	for _, p := range cfg.Providers {
		pt, ok := truth.Providers[p.ID]
		if !ok {
			t.Errorf("truth has no provider %s", p.ID)
			continue
		}
		if n := len(pt.Schools); n < 4 || n > 7 {
			t.Errorf("provider %s serves %d schools, want 4-7", p.ID, n)
		}
		if pt.PlantedBadRows < 5 || pt.PlantedBadRows > 20 {
			t.Errorf("provider %s has %d planted bad rows", p.ID, pt.PlantedBadRows)
		}
		for _, subj := range []string{"math", "ela"} {
			for _, win := range []string{"winter", "spring"} {
				if truth.Impact[subj][win].Providers[p.ID] == nil {
					t.Errorf("truth impact %s %s lacks %s", subj, win, p.ID)
				}
			}
		}
	}
	if n := len(truth.Providers["brightpath"].SharedSchools["learnwell"]); n < 3 {
		t.Errorf("brightpath and learnwell share %d schools, want 3 or more", n)
	}
	served := map[string]bool{}
	for _, pt := range truth.Providers {
		for _, s := range pt.Schools {
			served[s] = true
		}
	}
	for _, s := range cfg.Schools {
		if !served[s.ID] {
			t.Errorf("school %s has no provider", s.ID)
		}
	}
}

func TestGenerateFilesAndCounts(t *testing.T) {
	t.Parallel()
	dir, sum, truth := generate(t, 600, 5)
	if len(sum.Files) != len(truth.Files) || len(sum.Files) != 1+3+9+9+3 {
		t.Fatalf("summary lists %d files, truth %d", len(sum.Files), len(truth.Files))
	}
	rows := map[string]int64{}
	for i, f := range truth.Files {
		if sum.Files[i] != f.Path {
			t.Errorf("file %d: summary %s, truth %s", i, sum.Files[i], f.Path)
		}
		ls := lines(t, filepath.Join(dir, filepath.FromSlash(f.Path)))
		if got := int64(len(ls) - f.HeaderLine - f.FooterLines); got != f.DataRows {
			t.Errorf("%s: %d data lines, truth says %d", f.Path, got, f.DataRows)
		}
		rows[f.Kind] += f.DataRows
		if f.PlantedBadRows != len(f.BadRows) {
			t.Errorf("%s: planted_bad_rows %d but %d listed", f.Path, f.PlantedBadRows, len(f.BadRows))
		}
		delim := ","
		if strings.HasSuffix(f.Path, ".tsv") {
			delim = "\t"
		}
		header := strings.Split(ls[f.HeaderLine-1], delim)
		for _, b := range f.BadRows {
			fields := strings.Split(ls[b.Line-1], delim)
			found := false
			for i, h := range header {
				if h == b.Column && fields[i] == b.Value {
					found = true
				}
			}
			if !found {
				t.Errorf("%s:%d: column %q is not %q: %s", f.Path, b.Line, b.Column, b.Value, ls[b.Line-1])
			}
		}
		if f.FooterLines == 1 && !strings.HasPrefix(ls[len(ls)-1], "TOTAL SESSIONS,") {
			t.Errorf("%s: last line %q", f.Path, ls[len(ls)-1])
		}
	}
	for kind, n := range rows {
		if sum.Rows[kind] != n {
			t.Errorf("summary rows[%s] = %d, files hold %d", kind, sum.Rows[kind], n)
		}
	}
	if sum.Rows["roster"] != 600 || len(sum.Rows) != 3 {
		t.Errorf("rows = %v", sum.Rows)
	}
	// Student ids: 6 digits, unique, some with leading zeros; no names anywhere.
	roster := lines(t, filepath.Join(dir, "landing/roster/roster_2025-26.csv"))
	if roster[0] != "student_id,school_id,school_name,grade,ell,sped,econ_disadv,race_ethnicity,gender" {
		t.Errorf("roster header %q", roster[0])
	}
	seen := map[string]bool{}
	zeros := 0
	for _, l := range roster[1:] {
		id := strings.Split(l, ",")[0]
		if len(id) != 6 || seen[id] {
			t.Errorf("bad or repeated student id %q", id)
		}
		seen[id] = true
		if id[0] == '0' {
			zeros++
		}
	}
	if zeros == 0 {
		t.Error("no student id has leading zeros")
	}
	nwea := lines(t, filepath.Join(dir, "landing/nwea/AssessmentResults_fall.csv"))
	if n := len(strings.Split(nwea[0], ",")); n != 143 {
		t.Errorf("NWEA header has %d columns", n)
	}
	if !strings.HasPrefix(nwea[1], `"Fall 2025-2026","Riverside Unified (synthetic)",`) {
		t.Errorf("NWEA row: %.80s", nwea[1])
	}
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	a, sa, _ := generate(t, 600, 11)
	b, _, _ := generate(t, 600, 11)
	c, _, _ := generate(t, 600, 12)
	all := append([]string{"hitreflect.yaml", "truth.json"}, sa.Files...)
	differs := false
	for _, f := range all {
		da, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		db, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
		dc, err := os.ReadFile(filepath.Join(c, f))
		if err == nil && !bytes.Equal(da, dc) {
			differs = true
		}
	}
	if !differs {
		t.Error("a different seed wrote the same files")
	}
}

func TestGenerateCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := synth.Generate(ctx, t.TempDir(), synth.Options{Students: 100}); err == nil {
		t.Error("Generate with a cancelled context succeeded")
	}
}

// validWindows1252 reports whether every byte is defined in Windows-1252.
func validWindows1252(b []byte) bool {
	for _, c := range b {
		switch c {
		case 0x81, 0x8d, 0x8f, 0x90, 0x9d:
			return false
		}
	}
	return true
}

func TestEncodings(t *testing.T) {
	t.Parallel()
	dir, _, truth := generate(t, 600, 2)
	for _, f := range truth.Files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		switch f.Provider {
		case "learnwell":
			if !validWindows1252(data) {
				t.Errorf("%s: byte undefined in Windows-1252", f.Path)
			}
			if f.DataRows >= 20 && utf8.Valid(data) {
				t.Errorf("%s: valid UTF-8, want Windows-1252 with accented tutor names", f.Path)
			}
			if !bytes.Contains(data, []byte("\t")) || !bytes.HasSuffix(data, []byte("\r\n")) {
				t.Errorf("%s: not tab-separated CRLF", f.Path)
			}
		case "tutorcorps":
			if !bytes.HasPrefix(data, []byte("\xef\xbb\xbfTutorCorps Session Export\r\n")) {
				t.Errorf("%s: starts %q", f.Path, data[:min(len(data), 40)])
			}
			if n, crlf := bytes.Count(data, []byte("\n")), bytes.Count(data, []byte("\r\n")); n != crlf || n == 0 {
				t.Errorf("%s: %d line feeds, %d CRLF", f.Path, n, crlf)
			}
			if !utf8.Valid(data) {
				t.Errorf("%s: not UTF-8", f.Path)
			}
		default:
			if !utf8.Valid(data) || bytes.Contains(data, []byte("\r")) {
				t.Errorf("%s: want UTF-8 with LF line endings", f.Path)
			}
		}
	}
}

func TestWriteSessionFile(t *testing.T) {
	t.Parallel()
	for _, layout := range synth.SessionLayouts() {
		t.Run(layout, func(t *testing.T) {
			t.Parallel()
			if synth.SessionProfileYAML(layout) == "" {
				t.Fatal("no profile")
			}
			for _, n := range []int{0, 1, 2500} {
				var a, b, c bytes.Buffer
				if err := synth.WriteSessionFile(&a, layout, n, 42); err != nil {
					t.Fatal(err)
				}
				if err := synth.WriteSessionFile(&b, layout, n, 42); err != nil {
					t.Fatal(err)
				}
				if err := synth.WriteSessionFile(&c, layout, n, 43); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Errorf("rows=%d: same seed, different bytes", n)
				}
				if n > 0 && bytes.Equal(a.Bytes(), c.Bytes()) {
					t.Errorf("rows=%d: different seeds, same bytes", n)
				}
				path := filepath.Join(t.TempDir(), "f")
				if err := os.WriteFile(path, a.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				ls := lines(t, path)
				header, footer := 1, 0
				switch layout {
				case "tutorcorps":
					header = 3
				case "brightpath":
					footer = 1
					if want := "TOTAL SESSIONS," + itoa(n); ls[len(ls)-1] != want {
						t.Errorf("footer %q, want %q", ls[len(ls)-1], want)
					}
				}
				if got := len(ls) - header - footer; got != n {
					t.Errorf("rows=%d: wrote %d data rows", n, got)
				}
				// Natural keys are unique.
				keys := map[string]bool{}
				for _, l := range ls[header : len(ls)-footer] {
					var key string
					switch layout {
					case "learnwell":
						f := strings.Split(l, "\t")
						key = f[0] + "|" + f[3] + "|" + f[4] + "|" + f[7]
					default:
						key = strings.Split(l, ",")[0]
					}
					if keys[key] {
						t.Errorf("rows=%d: key %q repeated", n, key)
						break
					}
					keys[key] = true
				}
			}
		})
	}
	if err := synth.WriteSessionFile(io.Discard, "nope", 1, 1); err == nil {
		t.Error("unknown layout accepted")
	}
}

func itoa(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func BenchmarkWriteSessionFile(b *testing.B) {
	for _, layout := range synth.SessionLayouts() {
		b.Run(layout, func(b *testing.B) {
			for b.Loop() {
				if err := synth.WriteSessionFile(io.Discard, layout, 1_000_000, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*1e6/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
