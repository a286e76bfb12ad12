package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/pipeline/export"
)

func (e *env) exportCmd() *cobra.Command {
	var cfgPath, out, year, tables string
	var wait time.Duration
	c := &cobra.Command{
		Use:   "export --config FILE --out DIR [--year 2025-26] [--tables sessions,assessments,students,student_year]",
		Short: "Write the pseudonymized research export (Parquet, codebook, manifest)",
		Long: `Writes record-level data for a research partner: Parquet files (ZSTD, partitioned
by school_year) in which student and tutor ids are replaced by HMAC-SHA-256
pseudonyms under the key in the environment variable the config names
(privacy.pseudonym_key_env), with codebook.md, codebook.csv and manifest.json.
No names, birth dates or free text are exported. See docs/research-export.md.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("--out DIR is required: a new or empty folder for the export")
			}
			s, w, err := e.open(cfgPath, wait)
			if err != nil {
				return err
			}
			defer w.Close()
			p, err := export.KeyFromEnv(s.Config.Privacy.PseudonymKeyEnv)
			if err != nil {
				return &exitError{ExitUsage, err}
			}
			var names []string
			for _, t := range strings.Split(tables, ",") {
				if t = strings.TrimSpace(t); t != "" {
					names = append(names, t)
				}
			}
			conn, err := w.DB.Conn(e.ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			start := time.Now()
			m, err := export.Run(e.ctx, conn, s.Config, p, export.Options{OutDir: out, Year: year, Tables: names, Version: Version})
			var ue *export.UsageError
			if errors.As(err, &ue) {
				return &exitError{ExitUsage, err}
			}
			if err != nil {
				return err
			}
			var rows, bytes int64
			for _, f := range m.Files {
				fmt.Fprintf(e.stdout, "%-60s %12s rows %10s bytes\n", f.Path, num(f.Rows), num(f.Bytes))
				rows += f.Rows
				bytes += f.Bytes
			}
			fmt.Fprintf(e.stdout, "Exported %s rows in %d files (%s bytes) to %s in %s; key fingerprint %s.\n",
				num(rows), len(m.Files), num(bytes), out, time.Since(start).Round(100*time.Millisecond), m.KeyFingerprint)
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().StringVar(&out, "out", "", "a new or empty folder for the export")
	c.Flags().StringVar(&year, "year", "", "one school year (YYYY-YY); all years when left out")
	c.Flags().StringVar(&tables, "tables", "", "tables to export, comma-separated (sessions, assessments, students, student_year); all when left out")
	addWait(c, &wait)
	return c
}
