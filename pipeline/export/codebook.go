package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/excelsafe"
)

// Field is one column of an export table, as the codebook describes it.
type Field struct {
	Name    string
	Type    string // the Parquet column's logical type as DuckDB writes it
	Meaning string
	Values  string // allowed values or range
	Derived string // how it was made from the source data
}

// Table is one export table.
type Table struct {
	Name    string
	Query   string // in queries/
	Meaning string
	Fields  []Field
}

// Tables is the export's contents and its codebook. The export test checks
// every Parquet file's schema against it.
var Tables = []Table{
	{Name: "sessions", Query: "export_sessions", Meaning: "One row per scheduled tutoring session.", Fields: []Field{
		{"student_key", "VARCHAR", "pseudonym of the student", "32 hex digits", "HMAC-SHA-256 of the district student id under the district's key"},
		{"tutor_key", "VARCHAR", "pseudonym of the tutor", "32 hex digits or empty", "HMAC-SHA-256 of the provider's tutor id under the district's key"},
		{"provider", "VARCHAR", "tutoring provider", "provider ids of the config", "the source the file came from"},
		{"school_id", "VARCHAR", "district school id", "", "the session's school, else the student's (roster, latest test)"},
		{"session_date", "DATE", "date of the session", "", "as the provider sent it, in the district's time zone"},
		{"start_time", "TIME", "start time", "", "as sent; empty when the provider sends none"},
		{"duration_minutes", "DOUBLE", "scheduled or delivered minutes", "> 0", "as sent, or end time minus start time"},
		{"status", "VARCHAR", "what happened", "attended, student_absent, tutor_absent, cancelled", "the provider's code mapped by its profile"},
		{"group_size", "INTEGER", "students in the session", ">= 1", "as sent"},
		{"modality", "VARCHAR", "how it was held", "in_person, virtual", "the provider's value mapped by its profile"},
		{"subject", "VARCHAR", "subject tutored", "math, ela, other", "the provider's value mapped by its profile"},
		{"school_year", "VARCHAR", "school year (partition)", "YYYY-YY", "from the session date; a year starts on July 1"},
	}},
	{Name: "assessments", Query: "export_assessments", Meaning: "One row per student, subject, testing window and measure.", Fields: []Field{
		{"student_key", "VARCHAR", "pseudonym of the student", "32 hex digits", "HMAC-SHA-256 of the district student id"},
		{"school_id", "VARCHAR", "school at testing", "", "from the assessment file"},
		{"grade", "INTEGER", "grade at testing", "-1 (PK), 0 (K) to 12", "from the file, else the roster"},
		{"assessment", "VARCHAR", "which assessment", "e.g. map_growth, iready_diagnostic", "the profile's constant"},
		{"subject", "VARCHAR", "subject", "math, ela", "the vendor's subject or course, mapped"},
		{"window", "VARCHAR", "testing window", "fall, winter, spring", "from the term name, else the test date and the calendar"},
		{"test_date", "DATE", "date of the test", "", "as sent"},
		{"scale_score", "DOUBLE", "scale score", "the vendor's scale (RIT, i-Ready)", "as sent"},
		{"percentile", "DOUBLE", "national percentile rank", "0-100", "as sent"},
		{"achievement_level", "VARCHAR", "the vendor's achievement level or placement", "the vendor's categories", "as sent"},
		{"measure", "VARCHAR", "what the score measures", "composite, or a subtest (psf, orf, ...)", "composite unless the file gives subtests"},
		{"primary_measure", "BOOLEAN", "the measure growth and impact use", "true, false", "the profile's primary measure (composite by default)"},
		{"school_year", "VARCHAR", "school year (partition)", "YYYY-YY", "from the file, else the test date"},
	}},
	{Name: "students", Query: "export_students", Meaning: "One row per student known to the warehouse.", Fields: []Field{
		{"student_key", "VARCHAR", "pseudonym of the student", "32 hex digits", "HMAC-SHA-256 of the district student id"},
		{"school_id", "VARCHAR", "school", "", "roster, else the latest test"},
		{"grade", "INTEGER", "grade", "-1 (PK), 0 (K) to 12", "roster, else the latest test"},
		{"ell", "BOOLEAN", "English language learner", "true, false, empty", "roster"},
		{"sped", "BOOLEAN", "special education", "true, false, empty", "roster"},
		{"econ_disadv", "BOOLEAN", "economically disadvantaged", "true, false, empty", "roster"},
		{"race_ethnicity", "VARCHAR", "race/ethnicity code", "the district's codes", "roster"},
		{"gender", "VARCHAR", "gender code", "the district's codes", "roster"},
		{"source", "VARCHAR", "where the student is known from", "roster, assessment", "the warehouse"},
		{"school_year", "VARCHAR", "school year of the export (partition)", "YYYY-YY", "the config's school year"},
	}},
	{Name: "student_year", Query: "export_student_year", Meaning: "One row per student, subject and school year (July 1 to June 30): dosage and the scores of the impact analysis.", Fields: []Field{
		{"student_key", "VARCHAR", "pseudonym of the student", "32 hex digits", "HMAC-SHA-256 of the district student id"},
		{"subject", "VARCHAR", "subject", "math, ela, other", "sessions' and tests' subject"},
		{"school_id", "VARCHAR", "school", "", "baseline test's school, else the roster's"},
		{"grade", "INTEGER", "grade", "-1 (PK), 0 (K) to 12", "roster, else the baseline test"},
		{"sessions_scheduled", "INTEGER", "sessions scheduled in the year", ">= 0", "sessions of any status"},
		{"sessions_attended", "INTEGER", "sessions attended", ">= 0", "status attended"},
		{"minutes_attended", "DOUBLE", "minutes attended", ">= 0", "sum of attended sessions' minutes"},
		{"active_weeks", "INTEGER", "instructional weeks from first to last scheduled session", ">= 0", "weeks with at least one school day in the district calendar (breaks excluded)"},
		{"dosage_band", "VARCHAR", "hours attended, banded", "0, (0,5], (5,10], (10,20], (20,30], >30", "minutes_attended / 60"},
		{"providers", "VARCHAR", "providers that scheduled sessions with the student in the subject", "provider ids separated by ;", "sessions of any status"},
		{"assessment", "VARCHAR", "the assessment the scores come from", "e.g. map_growth", "per subject, the assessment with the most students with both scores"},
		{"baseline_score", "DOUBLE", "the impact analysis's baseline scale score", "", "tutored students: the latest test on or before their first attended session in the subject; others: the year's earliest window; empty when no test came before tutoring"},
		{"outcome_score", "DOUBLE", "outcome scale score", "", "the config's outcome window (impact.outcome_window)"},
		{"z_baseline", "DOUBLE", "baseline score standardised", "", "(score - mean) / SD within grade x subject x window x assessment, over every student tested in the district"},
		{"z_outcome", "DOUBLE", "outcome score standardised", "", "as z_baseline"},
		{"tutored", "BOOLEAN", "tutored in the impact analysis", "true, false, empty", "true: at least the config's impact.min_sessions attended sessions in the subject between the baseline and outcome tests; false: no attended session at all this school year; empty: tutored less than that, or without both tests"},
		{"impact_group", "VARCHAR", "the student's group in the impact analysis", "tutored, comparison, excluded, empty", "as tutored; excluded: some tutoring, below the minimum, or tutored with no test before their first session; empty without both tests"},
		{"school_year", "VARCHAR", "school year (partition)", "YYYY-YY", "the config's school year"},
	}},
}

// TableByName finds an export table.
func TableByName(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// WriteCodebookCSV writes every field of the given tables as a CSV file for
// a spreadsheet (byte-order mark, no cell that runs as a formula).
func WriteCodebookCSV(w io.Writer, tables []Table) error {
	out := excelsafe.NewFileCSV(w)
	_ = out.Write([]string{"table", "field", "type", "meaning", "allowed_values", "derivation"})
	for _, t := range tables {
		for _, f := range t.Fields {
			_ = out.Write([]string{t.Name, f.Name, f.Type, f.Meaning, f.Values, f.Derived})
		}
	}
	return out.Flush()
}

// WriteCodebookMarkdown writes the codebook for people.
func WriteCodebookMarkdown(w io.Writer, tables []Table, fingerprint string) error {
	var b strings.Builder
	b.WriteString("# Codebook\n\n")
	b.WriteString("Record-level data from the district's tutoring program, written by hitreflect. Student and tutor ids are\n")
	b.WriteString("replaced by pseudonyms (HMAC-SHA-256 under a key the district keeps); exports with the same key\n")
	fmt.Fprintf(&b, "fingerprint (`%s`, in manifest.json) use the same pseudonyms. No names, birth dates, addresses or\n", fingerprint)
	b.WriteString("free-text fields are exported. Files are Parquet (ZSTD), partitioned by `school_year`.\n\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n| field | type | meaning | allowed values | derivation |\n|---|---|---|---|---|\n", t.Name, t.Meaning)
		for _, f := range t.Fields {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.Type, f.Meaning, f.Values, f.Derived)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
