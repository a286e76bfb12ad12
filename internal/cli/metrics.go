package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"github.com/hitreflect/hitreflect/queries"
)

func (e *env) metricsCmd() *cobra.Command {
	var cfgPath, period, by, family, format, outDir string
	var wait time.Duration
	c := &cobra.Command{
		Use:   "metrics --config FILE [--period NAME] [--by school,provider,...] [--family NAME] [--format table|csv|json|jsonl] [--out DIR]",
		Short: "Compute the reflection meeting's figures from the warehouse",
		Long: `Computes the metric families of docs/metrics.md for a period, cut by any of
` + strings.Join(queries.Dimensions, ", ") + `.
Every row carries n, the students it rests on; figures resting on fewer than
privacy.min_cell_size students are withheld and marked. A total row follows.

--format csv prints one family (--family NAME); with --out DIR it writes one
CSV file per family instead, ready for Excel. --format json prints an array
of plain records (one object per row), --format jsonl one record per line.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "csv", "json", "jsonl":
			default:
				return usageErr("--format must be table, csv, json or jsonl, got %q", format)
			}
			if outDir != "" && format != "csv" {
				return usageErr("--out writes CSV files: use it with --format csv")
			}
			if format == "csv" && outDir == "" && (family == "" || family == "all") {
				return usageErr("--format csv prints one table: choose a family with --family NAME, or write one file per family with --out DIR")
			}
			var dims []string
			for _, d := range strings.Split(by, ",") {
				if d = strings.TrimSpace(d); d != "" {
					dims = append(dims, d)
				}
			}
			families := []string{family}
			if family == "" || family == "all" {
				families = nil
				for _, f := range metrics.Families {
					families = append(families, f.Name)
				}
			} else if _, ok := metrics.FamilyByName(family); !ok {
				return usageErr("no metric family %q", family)
			}
			s, w, err := e.open(cfgPath, wait)
			if err != nil {
				return err
			}
			defer w.Close()
			conn, err := w.DB.Conn(e.ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			r, err := metrics.New(e.ctx, conn, s.Config, time.Now)
			if err != nil {
				return err
			}
			var tables []*metrics.Table
			for _, f := range families {
				t, err := r.Run(e.ctx, f, metrics.Options{Period: period, By: dims})
				var ue *metrics.UsageError
				if errors.As(err, &ue) {
					return &exitError{ExitUsage, err}
				}
				if err != nil {
					return err
				}
				tables = append(tables, t)
			}
			// Tables printed together must not give away each other's
			// withheld cells (engagement's against quality's, say).
			metrics.ProtectAcross(tables)
			switch format {
			case "json", "jsonl":
				return metrics.WriteRecords(e.stdout, tables, format == "jsonl")
			case "csv":
				if outDir == "" {
					return metrics.WriteCSV(e.stdout, tables[0])
				}
				return e.writeMetricFiles(outDir, tables)
			}
			for _, t := range tables {
				writeTable(e.stdout, t)
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().StringVar(&period, "period", "year", "year, ytd, or a period of the config's calendar")
	c.Flags().StringVar(&by, "by", "", "dimensions to cut by, comma-separated")
	c.Flags().StringVar(&family, "family", "all", "one metric family, or all")
	c.Flags().StringVar(&format, "format", "table", "table, csv, json (an array of records) or jsonl (a record per line)")
	c.Flags().StringVar(&outDir, "out", "", "with --format csv: write DIR/<family>.csv for each family")
	addWait(c, &wait)
	return c
}

// writeMetricFiles writes each table to DIR/<family>.csv, for a spreadsheet.
func (e *env) writeMetricFiles(dir string, tables []*metrics.Table) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("metrics output folder: %w", err)
	}
	for _, t := range tables {
		path := filepath.Join(dir, t.Family+".csv")
		if err := metrics.SaveCSV(path, t); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d rows\n", path, len(t.Rows))
	}
	return nil
}

// writeTable prints a family for a terminal, in the units a person reads
// (percentages, one decimal). A family has many figures and few groups, so
// each figure is a line and each group a column.
func writeTable(w io.Writer, t *metrics.Table) {
	fmt.Fprintf(w, "%s — %s (%s to %s)\n", t.Title, t.Period, t.From.Format("2006-01-02"), t.To.Format("2006-01-02"))
	if t.Family == "impact" {
		writeEstimates(w, t)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	var dims, figures []int
	for j, c := range t.Columns {
		if t.IsDimension(c) {
			dims = append(dims, j)
		} else {
			figures = append(figures, j)
		}
	}
	// Header lines: one per dimension, naming each group.
	for _, d := range dims {
		line := t.Columns[d] + "\t"
		for _, row := range t.Rows {
			line += cell(t.Columns[d], row.Values[d], row.Total, true) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	if t.NColumn != "" {
		line := "n (students)\t"
		for _, row := range t.Rows {
			if row.Suppressed != "" {
				line += "withheld*\t"
				continue
			}
			line += fmt.Sprint(row.N) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	for _, f := range figures {
		line := strings.ReplaceAll(t.Columns[f], "_", " ") + "\t"
		for _, row := range t.Rows {
			if row.Suppressed != "" {
				line += "withheld*\t"
				continue
			}
			line += cell(t.Columns[f], row.Values[f], row.Total, true) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	if t.Note != "" {
		fmt.Fprintln(w, t.Note)
	}
	notes := map[string]bool{}
	for _, row := range t.Rows {
		if row.Suppressed != "" && !notes[row.Suppressed] {
			notes[row.Suppressed] = true
			fmt.Fprintf(w, "* %s\n", row.Suppressed)
		}
	}
	fmt.Fprintln(w)
}

// cell formats one value for the terminal: percentages, one decimal.
func cell(column string, v any, total, human bool) string {
	if !human {
		return metrics.CSVValue(column, v, total)
	}
	if v == nil {
		if total && isDimension(column) {
			return "all"
		}
		return "–"
	}
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return ""
		}
		if human && isShare(column) {
			// 99.8% is not 100%: near the ends, one decimal.
			if p := 100 * x; (p > 99 && p < 100) || (p > 0 && p < 1) {
				return fmt.Sprintf("%.1f%%", p)
			}
			return fmt.Sprintf("%.0f%%", 100*x)
		}
		if human {
			return fmt.Sprintf("%.1f", x)
		}
		return fmt.Sprintf("%.6g", x)
	case time.Time:
		return x.Format("2006-01-02")
	case bool:
		if x {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprint(v)
}

// isShare says whether a figure is a proportion, shown as a percentage.
func isShare(c string) bool {
	return strings.HasSuffix(c, "_rate") || strings.HasPrefix(c, "share_") || c == "tutor_consistency" || c == "coverage" || c == "targeting"
}

func isDimension(c string) bool {
	for _, d := range queries.Dimensions {
		if d == c {
			return true
		}
	}
	return false
}

// writeEstimates prints the impact family one estimate to a line: the
// effect in SD with its interval, the groups' sizes, and what to know.
func writeEstimates(w io.Writer, t *metrics.Table) {
	col := func(name string) int {
		for i, c := range t.Columns {
			if c == name {
				return i
			}
		}
		return -1
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "subject\tassessment\tdesign\tmodel\tterm\teffect (SD) [95% interval]\tschool-clustered interval\ttutored\tcomparison\tbaseline gap (SD)\tbaseline\tnote")
	for _, row := range t.Rows {
		v := row.Values
		effect := "–"
		switch {
		case row.Suppressed != "":
			effect = "withheld: " + row.Suppressed
		case v[col("effect_sd")] != nil:
			effect = fmt.Sprintf("%+.2f [%+.2f, %+.2f]", noNegZero(v[col("effect_sd")]), noNegZero(v[col("ci_low")]), noNegZero(v[col("ci_high")]))
		}
		clustered, gap := "–", "–"
		if v[col("cluster_ci_low")] != nil && v[col("cluster_ci_high")] != nil {
			clustered = fmt.Sprintf("[%+.2f, %+.2f]", noNegZero(v[col("cluster_ci_low")]), noNegZero(v[col("cluster_ci_high")]))
		}
		if v[col("baseline_difference_sd")] != nil {
			gap = fmt.Sprintf("%+.2f", noNegZero(v[col("baseline_difference_sd")]))
		}
		note := ""
		if n, ok := v[col("note")].(string); ok {
			note = n
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v[col("subject")], v[col("assessment")], v[col("design")], v[col("model")], v[col("term")], effect,
			clustered, cell("n", v[col("n_tutored")], false, true), cell("n", v[col("n_comparison")], false, true),
			gap, cell("x", v[col("baseline_equivalence")], false, true), note)
	}
	tw.Flush()
	if t.Note != "" {
		fmt.Fprintln(w, t.Note)
	}
	fmt.Fprintln(w)
}

// noNegZero rounds away the -0.00 a tiny negative number prints as.
func noNegZero(v any) float64 {
	f, _ := v.(float64)
	if math.Abs(f) < 0.005 {
		return 0
	}
	return f
}
