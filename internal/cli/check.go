package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/ingest"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

func (e *env) checkCmd() *cobra.Command {
	var cfgPath, source string
	c := &cobra.Command{
		Use:   "check --config FILE --source NAME PATH",
		Short: "Try a file against its source's profile without loading anything",
		Long: `A dry run: reads the file as ingest would, in a scratch database, and says what
would load, the first rejects with their reasons, and which columns are missing
or not used. The warehouse is not touched. With no PATH it checks the config only.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := e.setup(cfgPath)
			if err != nil {
				return err
			}
			if err := knownSource(s, source); err != nil {
				return err
			}
			if len(args) == 0 {
				fmt.Fprintf(e.stdout, "%s: config OK (%d sources, %d providers)\n", cfgPath, len(s.Config.Sources), len(s.Config.Providers))
				return nil
			}
			if source == "" {
				return usageErr("checking a file needs --source NAME (one of %s)", strings.Join(s.Config.SourceNames(), ", "))
			}
			if err := knownSource(s, source); err != nil {
				return err
			}
			w, err := warehouse.Open(e.ctx, "") // scratch, in memory
			if err != nil {
				return err
			}
			defer w.Close()
			results, err := s.Ingest(e.ctx, w, pipeline.IngestOptions{Source: source, Paths: args, DryRun: true})
			if err != nil {
				return err
			}
			src, _ := s.Config.Source(source)
			prof, _ := s.Profiles.Get(src.Profile)
			for _, r := range results {
				if r.Err != nil {
					return r.Err
				}
				for _, f := range r.Files {
					e.describeCheck(prof, f)
					if f.Status == ingest.StatusRejected {
						return errFailed
					}
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	c.Flags().StringVar(&source, "source", "", "the source whose profile reads the file")
	return c
}

func (e *env) describeCheck(p profile.Profile, r *ingest.Result) {
	out := e.stdout
	fmt.Fprintf(out, "File:      %s\n", r.Path)
	fmt.Fprintf(out, "Profile:   %s (%s)\n", p.Name, p.Kind)
	if r.Encoding != "" && r.Header > 0 {
		fmt.Fprintf(out, "Encoding:  %s; header on line %d\n", r.Encoding, r.Header)
	}
	if r.Status == ingest.StatusRejected {
		fmt.Fprintf(out, "Result:    the file would be REJECTED whole: %s\n", r.Message)
		return
	}
	fmt.Fprintf(out, "Result:    %s of %s rows would load; %s rejected, %s duplicate, %s skipped\n",
		num(r.Loaded), num(r.Read), num(r.Rejected), num(r.Duplicate), num(r.Skipped))
	if len(r.SkipReasons) > 0 {
		fmt.Fprintf(out, "Skipped:   %s\n", reasons(r.SkipReasons))
	}
	if len(r.MissingColumns) > 0 {
		fmt.Fprintf(out, "Missing:   optional columns not in the file: %s\n", strings.Join(r.MissingColumns, ", "))
	}
	if len(r.Mapping) > 0 {
		fmt.Fprintln(out, "Mapping:")
		for _, m := range r.Mapping {
			fmt.Fprintf(out, "  %s\n", m)
		}
	}
	if len(r.DroppedColumns) > 0 {
		dropped := make([]string, len(r.DroppedColumns))
		for i, c := range r.DroppedColumns {
			dropped[i] = fmt.Sprintf("%q", c)
			if i < len(r.DroppedBecause) {
				dropped[i] += " (" + r.DroppedBecause[i] + ")"
			}
		}
		fmt.Fprintf(out, "Dropped:   personal data, never read: %s\n", strings.Join(dropped, ", "))
	}
	if len(r.UnknownColumns) > 0 {
		fmt.Fprintf(out, "Unused:    %s the profile does not map: %s\n", plural(len(r.UnknownColumns), "column"), strings.Join(firstN(r.UnknownColumns, 15), ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(out, "Note:      %s\n", n)
	}
	if len(r.Rejects) > 0 {
		fmt.Fprintln(out, "First rejects:")
		for _, rej := range firstN(r.Rejects, 10) {
			fmt.Fprintf(out, "  %s\n", rej)
		}
	}
}

// plural writes "1 column", "3 columns".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return num(int64(n)) + " " + noun + "s"
}
