package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/export"
	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
	"github.com/hitreflect/hitreflect/reports/packet"
)

func (e *env) demoCmd() *cobra.Command {
	var out string
	var students int
	var seed int64
	c := &cobra.Command{
		Use:   "demo --out DIR [--students N] [--seed S]",
		Short: "Write a synthetic district into DIR and run every stage on it",
		Long: `Writes a plausible synthetic district (a config, landing folders with three
providers' session exports in three layouts, NWEA MAP Growth assessment files,
a roster, and truth.json with the planted effects) and runs the whole job on it.
The same seed always gives the same district.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("--out DIR is required: the folder to write the demo district into")
			}
			if students < 50 {
				return usageErr("--students must be 50 or more, got %d", students)
			}
			start := time.Now()
			fmt.Fprintf(e.stdout, "Writing a synthetic district of %s students (seed %d) into %s …\n", num(int64(students)), seed, out)
			sum, err := synth.Generate(e.ctx, out, synth.Options{Students: students, Seed: seed, Screener: true})
			if err != nil {
				return fmt.Errorf("write demo district: %w", err)
			}
			fmt.Fprintf(e.stdout, "  %d schools; %s session rows, %s assessment rows, %s roster rows in %d files [%s]\n",
				sum.Schools, num(sum.Rows["sessions"]), num(sum.Rows["assessments"]), num(sum.Rows["roster"]), len(sum.Files),
				time.Since(start).Round(100*time.Millisecond))
			s, w, err := e.open(sum.ConfigPath, 0)
			if err != nil {
				return err
			}
			defer w.Close()
			fmt.Fprintln(e.stdout, "Loading into", s.Config.WarehousePath(), "…")
			results, err := s.Ingest(e.ctx, w, pipeline.IngestOptions{OnFile: e.progress(), OnStage: e.stageDisplay()})
			e.clearProgress()
			if err != nil {
				return err
			}
			if err := e.summarise(results); err != nil {
				return err
			}
			if err := e.demoMetrics(s, w, out); err != nil {
				return err
			}
			if err := e.demoExport(s, w, out); err != nil {
				return err
			}
			if err := e.demoPackets(s, w); err != nil {
				return err
			}
			cfg := rel(sum.ConfigPath)
			fmt.Fprintf(e.stdout, "\nNext: look around with\n  hitreflect status --config %s\n  hitreflect rejects --config %s\n"+
				"  hitreflect metrics --config %s --by school,provider\n  hitreflect metrics --config %s --family impact\n"+
				"and open %s in a browser, or its slides.pdf, packet.pdf or tables.xlsx.\n", cfg, cfg, cfg, cfg, rel(filepath.Join(s.Config.OutputDir(), "year", "district", "index.html")))
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder to write the demo district into")
	c.Flags().IntVar(&students, "students", synth.DefaultStudents, "number of students")
	c.Flags().Int64Var(&seed, "seed", synth.DemoSeed, "random seed (the same seed gives the same district)")
	return c
}

func rel(p string) string {
	if r, err := filepath.Rel(".", p); err == nil {
		return r
	}
	return p
}

// demoMetrics computes every metric family, writes each as CSV under the
// demo's output folder, and shows engagement by provider.
func (e *env) demoMetrics(s *pipeline.Setup, w *warehouse.Warehouse, out string) error {
	conn, err := w.DB.Conn(e.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	r, err := metrics.New(e.ctx, conn, s.Config, time.Now)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.Config.OutputDir(), "metrics")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var shown *metrics.Table
	for _, f := range metrics.Families {
		t, err := r.Run(e.ctx, f.Name, metrics.Options{By: []string{"provider"}})
		if err != nil {
			return fmt.Errorf("metrics %s: %w", f.Name, err)
		}
		if err := metrics.SaveCSV(filepath.Join(dir, f.Name+".csv"), t); err != nil {
			return err
		}
		if f.Name == "engagement" {
			shown = t
		}
	}
	fmt.Fprintf(e.stdout, "\nMetrics by provider written to %s [%s]\n\n", rel(dir), time.Since(start).Round(100*time.Millisecond))
	writeTable(e.stdout, shown)
	return nil
}

// demoExport writes the research export of the demo district. The district
// is synthetic, so without a key in the environment a fixed demo key is used,
// and said so.
func (e *env) demoExport(s *pipeline.Setup, w *warehouse.Warehouse, out string) error {
	p, err := export.KeyFromEnv(s.Config.Privacy.PseudonymKeyEnv)
	note := ""
	if err != nil && os.Getenv(s.Config.Privacy.PseudonymKeyEnv) != "" {
		return err // a key was set but is not good enough: say so, do not replace it
	}
	if err != nil {
		p, err = export.New([]byte("hitreflect demo key: synthetic data only"))
		if err != nil {
			return err
		}
		note = fmt.Sprintf(" with the demo's own key (a district sets %s)", s.Config.Privacy.PseudonymKeyEnv)
	}
	conn, err := w.DB.Conn(e.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	dir := filepath.Join(out, "research-export")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	m, err := export.Run(e.ctx, conn, s.Config, p, export.Options{OutDir: dir, Version: Version})
	if err != nil {
		return fmt.Errorf("research export: %w", err)
	}
	var rows int64
	for _, f := range m.Files {
		rows += f.Rows
	}
	fmt.Fprintf(e.stdout, "Research export: %s rows in %d Parquet files written to %s%s.\n", num(rows), len(m.Files), rel(dir), note)
	return nil
}

// demoPackets writes the reflection packets of every audience: the
// district, each school and each provider.
func (e *env) demoPackets(s *pipeline.Setup, w *warehouse.Warehouse) error {
	conn, err := w.DB.Conn(e.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintln(e.stdout, "\nReflection packets:")
	out := s.Config.OutputDir()
	res, err := packet.Build(e.ctx, conn, s.Config, packet.Options{Audience: "all", OutDir: out, Now: reportNow})
	if err != nil {
		return fmt.Errorf("reflection packets: %w", err)
	}
	e.listPackets(res, rel(out))
	return nil
}
