package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/internal/bench"
	"github.com/hitreflect/hitreflect/internal/synth"
)

func (e *env) benchCmd() *cobra.Command {
	var dir, sizes string
	var seed int64
	c := &cobra.Command{
		Use:   "bench --dir DIR [--students N[,N…]]",
		Short: "Measure a night at district scale against DuckDB's bare read of the same files",
		Long: `Writes a synthetic district of N students into DIR/N (or reuses the one there),
then times, in one run: DuckDB's bare read_csv of every landing file (the
floor), a cold ingest, metrics by school and provider, every packet, a cold
run of the whole job, a night with no new files and a night with one new day
of sessions. Each stage runs this binary as a child process, so its peak
memory is its own. Prints stage, seconds, peak memory and the ratio to the
floor, and writes DIR/N/bench/report.json. Several sizes give the scaling table.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErr("--dir DIR is required: the folder for the bench districts (a few GB per 100,000 students)")
			}
			var ns []int
			for _, f := range strings.Split(sizes, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(f, "_", "")))
				if err != nil || n < 50 {
					return usageErr("--students: %q is not a number of students (50 or more)", f)
				}
				ns = append(ns, n)
			}
			binary, err := os.Executable()
			if err != nil {
				return fmt.Errorf("bench: find this binary: %w", err)
			}
			var reports []*bench.Report
			for _, n := range ns {
				rep, err := bench.Run(e.ctx, bench.Options{Dir: filepath.Join(dir, strconv.Itoa(n)), Students: n, Seed: seed,
					Binary: binary, Progress: e.stderr})
				if err != nil {
					return err
				}
				writeBench(e.stdout, rep)
				reports = append(reports, rep)
			}
			if len(reports) > 1 {
				writeScaling(e.stdout, reports)
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "folder for the bench districts and their warehouses")
	c.Flags().StringVar(&sizes, "students", "300000", "students in the district; several, comma-separated, give the scaling table")
	c.Flags().Int64Var(&seed, "seed", synth.DemoSeed, "random seed of the district")
	return c
}

func gib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
}

func writeBench(w io.Writer, rep *bench.Report) {
	fmt.Fprintf(w, "\n%s students, %d schools: %d landing files, %.0f MB, %s rows; %s; DuckDB %s\n\n",
		num(int64(rep.Students)), rep.Schools, rep.Files, rep.LandingMB, num(rep.LandingRows), rep.Machine, rep.DuckDB)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tseconds\tpeak memory\tratio to floor\tbudget\tmet\tnote")
	for _, st := range rep.Stages {
		secs, ratio := fmt.Sprintf("%.1f", st.Seconds), fmt.Sprintf("%.2fx", st.Ratio)
		if st.Seconds == 0 {
			secs, ratio = "", ""
		}
		met := ""
		if st.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*st.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, secs, gib(st.PeakRSS), ratio, st.Budget, met, st.Note)
	}
	tw.Flush()
}

// writeScaling puts each stage's seconds side by side, per size, with the
// seconds per 100,000 students: flat when cost grows linearly.
func writeScaling(w io.Writer, reps []*bench.Report) {
	fmt.Fprintln(w, "\nScaling (seconds; in brackets, seconds per 100,000 students)")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	head := "stage"
	for _, r := range reps {
		head += "\t" + num(int64(r.Students))
	}
	fmt.Fprintln(tw, head)
	for i, st := range reps[0].Stages {
		if st.Seconds == 0 {
			continue
		}
		line := st.Name
		for _, r := range reps {
			if i < len(r.Stages) {
				s := r.Stages[i].Seconds
				line += fmt.Sprintf("\t%.1f (%.1f)", s, s/float64(r.Students)*1e5)
			}
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}
