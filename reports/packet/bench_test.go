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

// BenchmarkAllPackets renders every audience's packet (district, each
// school, each provider) from tables computed once, and reports the
// rendering time per packet and the largest packet folder. Target at
// 300,000 students (600 schools): 600 school packets in under 30 s, a
// folder under 1 MB.
//
//	HITREFLECT_BENCH_STUDENTS=30000 go test ./reports/packet -run XXX -bench AllPackets -benchtime 1x
func BenchmarkAllPackets(b *testing.B) {
	students := 30000
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
	opt := Options{Audience: "all", OutDir: b.TempDir(), Now: fixedNow}
	auds, err := Audiences(d.Setup.Config, opt.Audience)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := computeTables(ctx, c, d.Setup.Config, opt, auds)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var ps []*Packet
	for i := 0; i < b.N; i++ {
		if ps, err = Render(ts, auds, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var largest int64
	for _, p := range ps {
		var size int64
		for _, f := range p.Files {
			size += f.Bytes
		}
		largest = max(largest, size)
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(len(ps))*1000, "ms/packet")
	b.ReportMetric(float64(largest)/1e6, "largest-folder-MB")
	b.ReportMetric(float64(len(ps)), "packets")
}
