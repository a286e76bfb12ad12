package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline"
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
			sum, err := synth.Generate(e.ctx, out, synth.Options{Students: students, Seed: seed})
			if err != nil {
				return fmt.Errorf("write demo district: %w", err)
			}
			fmt.Fprintf(e.stdout, "  %d schools; %s session rows, %s assessment rows, %s roster rows in %d files [%s]\n",
				sum.Schools, num(sum.Rows["sessions"]), num(sum.Rows["assessments"]), num(sum.Rows["roster"]), len(sum.Files),
				time.Since(start).Round(100*time.Millisecond))
			s, w, err := e.open(sum.ConfigPath)
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
			err = e.summarise(results)
			fmt.Fprintf(e.stdout, "\nNext: look around with\n  hitreflect status --config %s\n  hitreflect rejects --config %s\n",
				rel(sum.ConfigPath), rel(sum.ConfigPath))
			return err
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder to write the demo district into")
	c.Flags().IntVar(&students, "students", 6000, "number of students")
	c.Flags().Int64Var(&seed, "seed", 1, "random seed (the same seed gives the same district)")
	return c
}

func rel(p string) string {
	if r, err := filepath.Rel(".", p); err == nil {
		return r
	}
	return p
}
