package metrics

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// BenchmarkLargeDistrict generates a district (300,000 students unless
// HITREFLECT_BENCH_STUDENTS says otherwise), times its ingest, then times
// every metric family on it, in the same run. Target: all metrics in less
// time than the ingest.
//
//	go test ./pipeline/metrics -run XXX -bench LargeDistrict -benchtime 1x -timeout 30m
func BenchmarkLargeDistrict(b *testing.B) {
	students := 300000
	if v, err := strconv.Atoi(os.Getenv("HITREFLECT_BENCH_STUDENTS")); err == nil && v > 0 {
		students = v
	}
	ctx := context.Background()
	d := testdistrict.Load(b, students, 1)
	s, w, ingest, sum := d.Setup, d.Warehouse, d.Ingest, d.Summary
	b.ResetTimer()
	c, err := w.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	r, err := New(ctx, c, s.Config, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(start)
	total := setup
	b.Logf("%d students, %d session rows: ingest %v; metrics set-up %v", students, sum.Rows["sessions"], ingest.Round(time.Millisecond), setup.Round(time.Millisecond))
	for _, f := range Families {
		start := time.Now()
		if _, err := r.Run(ctx, f.Name, Options{By: []string{"school", "provider"}}); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		total += took
		b.Logf("  %-11s %v", f.Name, took.Round(time.Millisecond))
		b.ReportMetric(took.Seconds(), f.Name+"-s")
	}
	b.ReportMetric(ingest.Seconds(), "ingest-s")
	b.ReportMetric(total.Seconds(), "metrics-s")
	b.ReportMetric(total.Seconds()/ingest.Seconds(), "metrics/ingest")
}
