// Package bench measures a night of hitreflect at district scale against the
// cost of reading the same landing files once with DuckDB's bare read_csv,
// in the same run. Every stage runs the real binary as a child process, so
// its peak resident memory is that command's own.
package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the floor reads with DuckDB itself

	"github.com/hitreflect/hitreflect/internal/job"
	"github.com/hitreflect/hitreflect/internal/synth"
)

// Options say what to measure.
type Options struct {
	// Dir holds the district (generated there when it has no config yet)
	// and the bench's own warehouses and outputs, under Dir/bench.
	Dir      string
	Students int
	Seed     int64
	// Binary is the hitreflect executable each stage runs.
	Binary string
	// Progress receives a line as each stage starts and ends.
	Progress io.Writer
}

// Stage is one measured step.
type Stage struct {
	Name    string  `json:"stage"`
	Command string  `json:"command"`
	Seconds float64 `json:"seconds"`
	// PeakRSS is the child's peak resident memory in bytes (0: not known on
	// this system).
	PeakRSS int64 `json:"peak_rss_bytes"`
	// Ratio is Seconds over the floor's seconds.
	Ratio float64 `json:"ratio_to_floor"`
	// Budget says what the stage must meet, Met whether it did.
	Budget string `json:"budget,omitempty"`
	Met    *bool  `json:"met,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Report is one bench run.
type Report struct {
	Students    int     `json:"students"`
	Schools     int     `json:"schools"`
	LandingMB   float64 `json:"landing_mb"`
	LandingRows int64   `json:"landing_rows"`
	Files       int     `json:"files"`
	Machine     string  `json:"machine"`
	DuckDB      string  `json:"duckdb_version"`
	Stages      []Stage `json:"stages"`
	Started     string  `json:"started"`
}

// benchKey is the research export's pseudonym key in the bench's children:
// the district is synthetic.
const benchKey = "hitreflect bench key: synthetic district only, never a real one"

// Run measures every stage and returns the report; the caller prints it.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if opt.Progress == nil {
		opt.Progress = io.Discard
	}
	rep := &Report{Students: opt.Students, Started: time.Now().Format(time.RFC3339), Machine: machine()}
	cfgPath := filepath.Join(opt.Dir, synth.ConfigFile)
	if _, err := os.Stat(cfgPath); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(opt.Progress, "writing a synthetic district of %d students into %s …\n", opt.Students, opt.Dir)
		if _, err := synth.Generate(ctx, opt.Dir, synth.Options{Students: opt.Students, Seed: opt.Seed}); err != nil {
			return nil, fmt.Errorf("write the bench district: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(opt.Dir, newDayFolder)); errors.Is(err, fs.ErrNotExist) {
		if err := withholdLastDay(opt.Dir); err != nil {
			return nil, err
		}
	}
	day, err := newDayFile(opt.Dir)
	if err != nil {
		return nil, err
	}
	files, size, err := landingFiles(opt.Dir)
	if err != nil {
		return nil, err
	}
	rep.Files, rep.LandingMB = len(files), float64(size)/1e6

	work := filepath.Join(opt.Dir, "bench")
	if err := os.RemoveAll(work); err != nil {
		return nil, fmt.Errorf("clear %s: %w", work, err)
	}
	ingestCfg, err := benchConfig(opt.Dir, "ingest")
	if err != nil {
		return nil, err
	}
	runCfg, err := benchConfig(opt.Dir, "run")
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(opt.Progress, "floor: reading %d landing files (%.0f MB) with read_csv …\n", len(files), rep.LandingMB)
	floor, rows, version, err := readFloor(ctx, filepath.Join(work, "floor"), files)
	if err != nil {
		return nil, err
	}
	rep.LandingRows, rep.DuckDB = rows, version
	rep.Stages = append(rep.Stages, Stage{Name: "floor: bare read_csv of every landing file", Command: "CREATE TABLE AS SELECT * FROM read_csv(file) per file",
		Seconds: floor.Seconds(), Ratio: 1})
	fmt.Fprintf(opt.Progress, "  %.1f s, %d rows\n", floor.Seconds(), rows)

	type step struct {
		name, budget string
		args         []string
		before       func() error
		check        func(st *Stage)
	}
	gib := int64(1) << 30
	steps := []step{
		{name: "cold ingest", budget: "≤ 1.5x floor", args: []string{"ingest", "--config", ingestCfg},
			check: func(st *Stage) { st.Met = ptr(st.Ratio <= 1.5) }},
		{name: "metrics --by school,provider", args: []string{"metrics", "--config", ingestCfg, "--by", "school,provider", "--format", "csv", "--out", filepath.Join(work, "ingest", "metrics")}},
		{name: "packets (every school, provider, district)", budget: "600 school packets < 30 s; a packet folder < 1 MB",
			args: []string{"report", "--config", ingestCfg, "--audience", "all"},
			check: func(st *Stage) {
				f, err := packetFolders(filepath.Join(work, "ingest", "out", "year"))
				if err != nil {
					st.Note = err.Error()
					return
				}
				st.Note = fmt.Sprintf("%d packets; largest school folder %.2f MB, largest of all %.2f MB (%s)",
					f.n, float64(f.largestSchool)/1e6, float64(f.largest)/1e6, f.largestName)
				// the budget is for school packets: 600 of them, each folder under 1 MB
				st.Met = ptr(st.Seconds/float64(max(f.n, 1))*600 < 30 && f.largestSchool < 1e6)
			}},
		{name: "cold run (fetch, load, metrics, export, packets)", budget: "≤ 2x floor", args: []string{"run", "--config", runCfg},
			check: func(st *Stage) {
				st.Met = ptr(st.Ratio <= 2)
				st.Note = runStages(filepath.Join(work, "run", "out", "runs"))
			}},
		{name: "night with no new files", budget: "< 3 s", args: []string{"run", "--config", runCfg},
			check: func(st *Stage) { st.Met = ptr(st.Seconds < 3) }},
		{name: "night with one new day of sessions", budget: "< 10 s", args: []string{"run", "--config", runCfg},
			before: func() error { return copyFile(day.path, day.landingPath) },
			check: func(st *Stage) {
				st.Met = ptr(st.Seconds < 10)
				st.Note = fmt.Sprintf("%d new session rows; %s", day.rows, runStages(filepath.Join(work, "run", "out", "runs")))
			}},
	}
	defer os.Remove(day.landingPath) // the district stays as generated for the next bench
	for _, s := range steps {
		if s.before != nil {
			if err := s.before(); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(opt.Progress, "%s: hitreflect %s …\n", s.name, strings.Join(s.args, " "))
		took, rss, err := runChild(ctx, opt.Binary, s.args)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		st := Stage{Name: s.name, Command: "hitreflect " + strings.Join(s.args, " "), Seconds: took.Seconds(), PeakRSS: rss,
			Ratio: took.Seconds() / floor.Seconds(), Budget: s.budget}
		if s.check != nil {
			s.check(&st)
		}
		rep.Stages = append(rep.Stages, st)
		fmt.Fprintf(opt.Progress, "  %.1f s, peak %.2f GiB\n", st.Seconds, float64(rss)/float64(gib))
	}
	var peak int64
	for _, st := range rep.Stages {
		peak = max(peak, st.PeakRSS)
	}
	if peak > 0 {
		rep.Stages = append(rep.Stages, Stage{Name: "peak resident memory of any command", Budget: "< 2 GiB",
			PeakRSS: peak, Met: ptr(peak < 2*gib)})
	}
	rep.Schools = countSchools(cfgPath)
	out, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(work, "report.json"), append(out, '\n'), 0o600); err != nil {
		return nil, err
	}
	return rep, nil
}

func ptr(b bool) *bool { return &b }

// runChild runs the binary with args, its output discarded except for the
// end of its error output when it fails.
func runChild(ctx context.Context, binary string, args []string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "HITREFLECT_PSEUDONYM_KEY="+benchKey)
	var stderr tail
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return took, 0, fmt.Errorf("hitreflect %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return took, peakRSS(cmd.ProcessState), nil
}

// tail keeps the last 4 KB written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}
func (t *tail) String() string { return string(t.b) }

// benchConfig writes a copy of the district's config whose warehouse and
// output are the bench's own, under Dir/bench/NAME; every other path stays
// relative to the district.
func benchConfig(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, synth.ConfigFile))
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(b), "\n")
	found := 0
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "warehouse:"):
			lines[i] = "warehouse: bench/" + name + "/hitreflect.duckdb"
			found++
		case strings.HasPrefix(l, "output:"):
			lines[i] = "output: bench/" + name + "/out"
			found++
		}
	}
	if found != 2 {
		return "", fmt.Errorf("%s: expected top-level warehouse: and output: lines (a config written by hitreflect demo)", filepath.Join(dir, synth.ConfigFile))
	}
	path := filepath.Join(dir, "bench-"+name+".yaml")
	return path, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600)
}

// landingFiles lists every file under Dir/landing.
func landingFiles(dir string) ([]string, int64, error) {
	var files []string
	var size int64
	err := filepath.WalkDir(filepath.Join(dir, "landing"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files = append(files, p)
		size += info.Size()
		return nil
	})
	return files, size, err
}

// readFloor reads every landing file into a table of a fresh DuckDB file,
// with the fewest options read_csv needs to get through them all (ragged
// preambles and totals lines, Windows-1252 bytes). This is the cost of
// reading the input once; nothing hitreflect does can be cheaper.
func readFloor(ctx context.Context, dir string, files []string) (time.Duration, int64, string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, 0, "", err
	}
	w, err := sql.Open("duckdb", filepath.Join(dir, "floor.duckdb"))
	if err != nil {
		return 0, 0, "", err
	}
	defer w.Close()
	var version string
	if err := w.QueryRowContext(ctx, `SELECT version()`).Scan(&version); err != nil {
		return 0, 0, "", err
	}
	start := time.Now()
	var rows int64
	for i, f := range files {
		table := fmt.Sprintf("f%d", i)
		// A Windows-1252 byte is not UTF-8: ignore_errors passes its rows by.
		if _, err := w.ExecContext(ctx, `CREATE TABLE `+table+` AS SELECT * FROM read_csv(?, all_varchar = true,
			null_padding = true, ignore_errors = true, strict_mode = false)`, f); err != nil {
			return 0, 0, "", fmt.Errorf("floor read of %s: %w", f, err)
		}
		var n int64
		if err := w.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			return 0, 0, "", err
		}
		rows += n
	}
	return time.Since(start), rows, version, nil
}

// packetSizes is what packetFolders found.
type packetSizes struct {
	n                      int
	largest, largestSchool int64
	largestName            string
}

// packetFolders counts the packet folders under a period folder and gives
// the largest one's size, and the largest school packet's.
func packetFolders(period string) (packetSizes, error) {
	var f packetSizes
	entries, err := os.ReadDir(period)
	if err != nil {
		return f, fmt.Errorf("packets: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		f.n++
		var size int64
		filepath.WalkDir(filepath.Join(period, e.Name()), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					size += info.Size()
				}
			}
			return nil
		})
		if size > f.largest {
			f.largest, f.largestName = size, e.Name()
		}
		if strings.HasPrefix(e.Name(), "school-") {
			f.largestSchool = max(f.largestSchool, size)
		}
	}
	return f, nil
}

// runStages reads the newest run summary in a runs folder and says where
// that run's time went.
func runStages(runs string) string {
	entries, err := os.ReadDir(runs)
	if err != nil || len(entries) == 0 {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(runs, entries[len(entries)-1].Name())) // named by time: the last is the newest
	if err != nil {
		return ""
	}
	var sum job.RunSummary
	if json.Unmarshal(b, &sum) != nil {
		return ""
	}
	if sum.Metrics.Kept {
		return fmt.Sprintf("fetch and load %.1f s, the rest kept", sum.IngestSeconds)
	}
	return fmt.Sprintf("fetch and load %.1f s, metrics %.1f s, export %.1f s, packets %.1f s",
		sum.IngestSeconds, sum.Metrics.Seconds, sum.Export.Seconds, sum.Reports.Seconds)
}

func countSchools(cfgPath string) int {
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n  - {id: ")
}

func machine() string {
	return fmt.Sprintf("%s/%s, %d cores, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), memTotal())
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
