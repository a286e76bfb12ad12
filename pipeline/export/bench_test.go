package export

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// BenchmarkExportLargeDistrict loads a generated district (300,000 students
// unless HITREFLECT_BENCH_STUDENTS says otherwise), then times the research
// export of it, in the same run, and reports the files' sizes. Target: the
// export takes less time than the ingest.
//
//	go test ./pipeline/export -run XXX -bench ExportLargeDistrict -benchtime 1x -timeout 30m
func BenchmarkExportLargeDistrict(b *testing.B) {
	students := 300000
	if v, err := strconv.Atoi(os.Getenv("HITREFLECT_BENCH_STUDENTS")); err == nil && v > 0 {
		students = v
	}
	d := testdistrict.Load(b, students, 1)
	p, err := New([]byte("a benchmark key, long enough"))
	if err != nil {
		b.Fatal(err)
	}
	c, err := d.Warehouse.DB.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	start := time.Now()
	m, err := Run(context.Background(), c, d.Setup.Config, p, Options{OutDir: filepath.Join(b.TempDir(), "export")})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	var bytes, rows int64
	for _, f := range m.Files {
		b.Logf("  %-50s %10d rows %12d bytes", f.Path, f.Rows, f.Bytes)
		bytes += f.Bytes
		rows += f.Rows
	}
	b.Logf("%d students: ingest %v, export %v (%d rows, %.1f MiB)", students, d.Ingest.Round(time.Millisecond), took.Round(time.Millisecond), rows, float64(bytes)/(1<<20))
	b.ReportMetric(d.Ingest.Seconds(), "ingest-s")
	b.ReportMetric(took.Seconds(), "export-s")
	b.ReportMetric(took.Seconds()/d.Ingest.Seconds(), "export/ingest")
	b.ReportMetric(float64(bytes)/(1<<20), "MiB")
}
