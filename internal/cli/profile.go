package cli

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/pipeline/ingest"
	"github.com/hitreflect/hitreflect/pipeline/profile"
)

func (e *env) profileCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "profile",
		Short: "Help with profiles: suggest one for a new file layout",
	}
	c.AddCommand(e.profileSuggestCmd())
	return c
}

func (e *env) profileSuggestCmd() *cobra.Command {
	var kind, name string
	var rows int
	c := &cobra.Command{
		Use:   "suggest FILE [--kind sessions|assessments|roster] [--name NAME]",
		Short: "Read a sample file and print a starting profile for its layout",
		Long: `Reads a sample file (CSV, TSV or Excel) as ingest would and prints a profile to
paste under profiles: in the config: the delimiter, encoding and header line it
found, a column for each field guessed from the headers, a wide: block for
columns repeated per season, month or measure, every distinct value of the
status, subject, window, modality and grade columns with what it reads as (a
value nothing reads as is written TODO, so check names it), and the columns it
drops as personal data. Nothing is loaded. Then run hitreflect check on the file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch kind {
			case "sessions", "assessments", "roster":
			default:
				return usageErr("--kind must be sessions, assessments or roster, not %q", kind)
			}
			path := args[0]
			if _, err := os.Stat(path); err != nil {
				return usageErr("%v", err)
			}
			if name == "" {
				name = profileName(path)
			}
			if strings.EqualFold(filepath.Ext(path), ".zip") {
				return e.suggestBundle(path, name)
			}
			tmp, err := os.MkdirTemp("", "hitreflect-suggest-*")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			sample, err := ingest.ReadSample(path, kind, rows, tmp)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			s := profile.Suggest(kind, filepath.Base(path), sample.Headers, sample.Rows)
			delim := string(sample.Delimiter)
			if delim == "\t" {
				delim = `\t`
			}
			about := fmt.Sprintf("hitreflect profile suggest %s: %s, delimiter %q, header on line %d, %s data rows (the first %s read)",
				filepath.Base(path), sample.Encoding, delim, sample.HeaderLine, num(int64(sample.Records)), num(int64(len(sample.Rows))))
			if sample.HeaderLine > 1 {
				s.Profile.HeaderLine = sample.HeaderLine
			}
			text := s.YAML(name, about)
			if sample.HeaderLine > 1 {
				text = strings.Replace(text, "    kind: "+kind+"\n", fmt.Sprintf("    kind: %s\n    header_line: %d\n", kind, sample.HeaderLine), 1)
			}
			fmt.Fprint(e.stdout, text)
			return nil
		},
	}
	c.Flags().StringVar(&kind, "kind", "assessments", "what one row of the file is: sessions, assessments or roster")
	c.Flags().StringVar(&name, "name", "", "the profile's name (default: from the file's name)")
	c.Flags().IntVar(&rows, "rows", 5000, "how many rows to read for the values of coded columns")
	return c
}

// suggestBundle answers for a zip: a OneRoster bundle (users.csv and
// orgs.csv in it) is read by the built-in oneroster profile; any other zip
// is not a layout suggest can read.
func (e *env) suggestBundle(path, name string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("read %s: not a readable zip file: %w", path, err)
	}
	defer zr.Close()
	has := map[string]bool{}
	var names []string
	for _, f := range zr.File {
		base := strings.ToLower(filepath.Base(strings.ReplaceAll(f.Name, `\`, "/")))
		has[base] = true
		names = append(names, base)
	}
	if !has["users.csv"] || !has["orgs.csv"] {
		return usageErr("%s is a zip but not a OneRoster bundle (no users.csv and orgs.csv in it; it holds %s): unzip it and suggest a profile for the file to load", path, strings.Join(names, ", "))
	}
	version := "1.1"
	if has["roles.csv"] {
		version = "1.2"
	}
	fmt.Fprintf(e.stdout, `# hitreflect profile suggest %s: a OneRoster %s CSV bundle (%s)
# The built-in oneroster profile reads it: students from users.csv, their school from
# orgs.csv, gender from demographics.csv (see docs/profiles.md). Point a roster source at
# the zips (connector pattern "*.zip") with profile: oneroster, or extend it here.
profiles:
  %s:
    extends: oneroster
    kind: roster
`, filepath.Base(path), version, strings.Join(names, ", "), name)
	return nil
}

// profileName makes a profile name from a file name: lower case words
// joined by hyphens, numbers and dates left out.
func profileName(path string) string {
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	words := regexp.MustCompile(`[a-z]+`).FindAllString(base, -1)
	if len(words) > 4 {
		words = words[:4]
	}
	if len(words) == 0 {
		return "my-layout"
	}
	return strings.Join(words, "-")
}
