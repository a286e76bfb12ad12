package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// BenchmarkLoadMillionSessions loads a generated 1,000,000-row session file
// and, in the same run, times DuckDB's bare
// CREATE TABLE t AS SELECT * FROM read_csv(file) of the same file. It reports
// rows/s, the ratio of the two (target: at most 3) and the process's peak
// resident memory (target: under 1 GiB). The bare read gets null_padding,
// the least it needs to get past the file's totals line, which the plain
// call rejects.
//
//	go test ./pipeline/ingest -run XXX -bench LoadMillion -benchtime 1x
func BenchmarkLoadMillionSessions(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	path := filepath.Join(dir, "brightpath_1m.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := synth.WriteSessionFile(w, "brightpath", rows, 7); err != nil {
		b.Fatal(err)
	}
	w.Flush()
	f.Close()

	cfgText := testConfig + "  - {name: bench, kind: sessions, provider: acme, connector: {type: local, path: x}, profile: brightpath}\nprofiles:\n  brightpath:\n" +
		indent(synth.SessionProfileYAML("brightpath"), "    ")
	lc, err := config.ParseLocated(filepath.Join(dir, "hitreflect.yaml"), []byte(cfgText))
	if err != nil {
		b.Fatal(err)
	}
	set, err := profile.ForConfig(lc)
	if err != nil {
		b.Fatal(err)
	}
	src, _ := lc.Source("bench")
	prof, _ := set.Get("brightpath")
	ctx := context.Background()

	var loadTime, bareTime time.Duration
	var res *Result
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		wh, err := warehouse.Open(ctx, filepath.Join(dir, fmt.Sprintf("load%d", i), "w.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		conn, _ := wh.DB.Conn(ctx)
		b.StartTimer()
		start := time.Now()
		res, err = Load(ctx, conn, Request{Config: lc.Config, Source: *src, Profile: prof, Path: path, TempDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		loadTime += time.Since(start)
		b.StopTimer()
		conn.Close()
		wh.Close()

		bare, err := warehouse.Open(ctx, filepath.Join(dir, fmt.Sprintf("bare%d", i), "w.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := bare.DB.ExecContext(ctx, `CREATE TABLE t AS SELECT * FROM read_csv(?, null_padding = true)`, path); err != nil {
			b.Fatal(err)
		}
		bareTime += time.Since(start)
		bare.Close()
		b.StartTimer()
	}
	if res.Read < rows {
		b.Fatalf("read %d rows, want at least %d", res.Read, rows)
	}
	b.ReportMetric(float64(res.Read)*float64(b.N)/loadTime.Seconds(), "rows/s")
	b.ReportMetric(loadTime.Seconds()/bareTime.Seconds(), "ratio-to-bare-read_csv")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	for _, st := range res.Steps {
		b.Logf("  %-20s %v", st.Name, st.Took.Round(time.Millisecond))
	}
	b.Logf("loaded %d of %d rows (%d rejected, %d skipped) in %v; bare read_csv %v",
		res.Loaded, res.Read, res.Rejected, res.Skipped, loadTime/time.Duration(b.N), bareTime/time.Duration(b.N))
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// peakRSS is the process's peak resident memory in bytes (Linux), which
// counts DuckDB's memory as well as Go's.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
