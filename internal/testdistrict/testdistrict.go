// Package testdistrict loads a synthetic district into a fresh warehouse,
// for the tests and benchmarks that need a whole district's data.
package testdistrict

import (
	"context"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/internal/wiring"
	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// District is a generated district, loaded.
type District struct {
	Dir       string
	Summary   *synth.Summary
	Setup     *pipeline.Setup
	Warehouse *warehouse.Warehouse
	Ingest    time.Duration // how long the load took
}

// Load generates a district of students (seeded) in a temporary folder and
// loads it; the warehouse is closed when the test ends.
func Load(tb testing.TB, students int, seed int64) *District {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	sum, err := synth.Generate(ctx, dir, synth.Options{Students: students, Seed: seed})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := pipeline.Prepare(sum.ConfigPath, wiring.Connectors())
	if err != nil {
		tb.Fatal(err)
	}
	w, err := s.OpenWarehouse(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	start := time.Now()
	results, err := s.Ingest(ctx, w, pipeline.IngestOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range results {
		if r.Failed() {
			tb.Fatalf("loading the synthetic district: %s failed: %v", r.Source, r.Err)
		}
	}
	return &District{Dir: dir, Summary: sum, Setup: s, Warehouse: w, Ingest: time.Since(start)}
}
