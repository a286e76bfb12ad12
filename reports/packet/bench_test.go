package packet

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// BenchmarkDistrictPacket generates a district (300,000 students unless
// HITREFLECT_BENCH_STUDENTS says otherwise), computes the metrics the
// district packet needs and renders the packet, and reports both times
// of the same run. Target: rendering takes less time than computing.
//
//	go test ./reports/packet -run XXX -bench DistrictPacket -benchtime 1x -timeout 30m
func BenchmarkDistrictPacket(b *testing.B) {
	students := 300000
	if v, err := strconv.Atoi(os.Getenv("HITREFLECT_BENCH_STUDENTS")); err == nil && v > 0 {
		students = v
	}
	ctx := context.Background()
	d := testdistrict.Load(b, students, 1)
	c, err := d.Warehouse.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ResetTimer()
	var metricsTime, renderTime time.Duration
	for i := 0; i < b.N; i++ {
		res, err := Build(ctx, c, d.Setup.Config, Options{Audience: "district", OutDir: b.TempDir(), Now: fixedNow})
		if err != nil {
			b.Fatal(err)
		}
		metricsTime += res.Metrics
		renderTime += res.Render
		b.Logf("%d students: ingest %v; metrics %v; rendering %v (%d charts)", students, d.Ingest.Round(time.Millisecond),
			res.Metrics.Round(time.Millisecond), res.Render.Round(time.Millisecond), len(res.Packets[0].Charts))
	}
	n := float64(b.N)
	b.ReportMetric(metricsTime.Seconds()/n, "metrics-s")
	b.ReportMetric(renderTime.Seconds()/n, "render-s")
	b.ReportMetric(renderTime.Seconds()/metricsTime.Seconds(), "render/metrics")
}
