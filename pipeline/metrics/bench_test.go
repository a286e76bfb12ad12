package metrics

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/internal/wiring"
	"github.com/hitreflect/hitreflect/pipeline"
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
	dir := b.TempDir()
	sum, err := synth.Generate(ctx, dir, synth.Options{Students: students, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	s, err := pipeline.Prepare(sum.ConfigPath, wiring.Connectors())
	if err != nil {
		b.Fatal(err)
	}
	w, err := s.OpenWarehouse(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ResetTimer()
	start := time.Now()
	if _, err := s.Ingest(ctx, w, pipeline.IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	ingest := time.Since(start)
	c, err := w.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	start = time.Now()
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
