package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/reports/packet"
)

// reportNow is when a packet is made: SOURCE_DATE_EPOCH (seconds since
// 1970, the usual way to make output reproducible) when set, so two
// reports of the same warehouse can be diffed byte for byte; else now.
func reportNow() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Now()
}

func (e *env) reportCmd() *cobra.Command {
	var cfgPath, period, audience string
	var wait time.Duration
	var png bool
	c := &cobra.Command{
		Use:   "report --config FILE [--period NAME] [--audience district|school:ID|provider:ID|all]",
		Short: "Write the reflection packet: charts, slides.pdf, packet.pdf, index.html and tables",
		Long: `Writes, for each audience, to <output>/<period>/<audience>/: the charts as SVG
(and, with --png, as 1920x1080 PNG), slides.pdf to project (16:9: a slide
per chart, then one with the three reflection prompts), packet.pdf to hand
out (a cover page, then one chart per page with its reading, n, notes and
room for the three reflection prompts), a self-contained index.html with
the tables beneath the charts, tables.xlsx (a sheet per table) and
tables/*.csv. A school's packet shows that school's figures, a provider's
that provider's figures and the district's totals; the district's packet
everything. all writes the district's, every school's and every provider's.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, w, err := e.open(cfgPath, wait)
			if err != nil {
				return err
			}
			defer w.Close()
			if _, err := packet.Audiences(s.Config, audience); err != nil {
				return &exitError{ExitUsage, err}
			}
			conn, err := w.DB.Conn(e.ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			out := s.Config.OutputDir()
			res, err := packet.Build(e.ctx, conn, s.Config, packet.Options{Period: period, Audience: audience, OutDir: out, Now: reportNow, PNG: png || s.Config.Reports.PNG})
			var ue *packet.UsageError
			if errors.As(err, &ue) {
				return &exitError{ExitUsage, err}
			}
			if err != nil {
				return err
			}
			e.listPackets(res, out)
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().StringVar(&period, "period", "year", "year, ytd, or a period of the config's calendar")
	c.Flags().StringVar(&audience, "audience", "district", "district, school:ID, provider:ID or all")
	c.Flags().BoolVar(&png, "png", false, "also write each chart as a 1920x1080 PNG (reports: png: true in the config does the same)")
	addWait(c, &wait)
	return c
}

// listPackets prints each packet's folder, charts, files and size.
func (e *env) listPackets(res *packet.Result, out string) {
	var files int
	var bytes int64
	// Schools share their reasons for charts not drawn: each is said once.
	skipped := map[string]int{}
	var order []string
	for _, p := range res.Packets {
		var size int64
		for _, f := range p.Files {
			size += f.Bytes
		}
		fmt.Fprintf(e.stdout, "%-40s %2d charts %3d files %12s bytes\n", p.Dir, len(p.Charts), len(p.Files), num(size))
		for _, s := range p.Skipped {
			if skipped[s] == 0 {
				order = append(order, s)
			}
			skipped[s]++
		}
		files += len(p.Files)
		bytes += size
	}
	for _, s := range order {
		fmt.Fprintf(e.stdout, "  not drawn (%s): %s\n", plural(skipped[s], "packet"), s)
	}
	fmt.Fprintf(e.stdout, "Wrote %s (%d files, %s bytes) to %s: metrics in %s, rendering in %s.\n",
		plural(len(res.Packets), "packet"), files, num(bytes), out, res.Metrics.Round(10*time.Millisecond), res.Render.Round(10*time.Millisecond))
}
