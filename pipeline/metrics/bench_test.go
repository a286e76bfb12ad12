package metrics

import (
	"context"
	"os"
	"strconv"
	"strings"
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
	// HITREFLECT_BENCH_MEMORY_LIMIT (e.g. 1GB) is the config's memory_limit.
	if limit := os.Getenv("HITREFLECT_BENCH_MEMORY_LIMIT"); limit != "" {
		if _, err := c.ExecContext(ctx, "SET memory_limit = '"+limit+"'"); err != nil {
			b.Fatal(err)
		}
		b.Logf("memory_limit %s", limit)
	}
	resetPeakRSS() // the metrics' own peak, not the ingest's
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
	if peak, ok := peakRSS(); ok {
		b.Logf("peak RSS while computing the metrics: %d MiB", peak>>20)
		b.ReportMetric(float64(peak>>20), "metrics-peak-MiB")
	}
	b.ReportMetric(ingest.Seconds(), "ingest-s")
	b.ReportMetric(total.Seconds(), "metrics-s")
	b.ReportMetric(total.Seconds()/ingest.Seconds(), "metrics/ingest")
}

// resetPeakRSS starts the process's peak resident memory afresh (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident memory since the reset (Linux).
func peakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
