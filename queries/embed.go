// Package queries holds hitreflect's metric SQL, one query per file in sql/,
// embedded in the binary. A file's name is its query's name.
//
// Queries group by any mix of the dimensions in Dimensions through boolean
// parameters ($by_school, ...): a dimension not asked for comes out NULL and
// so does not split the groups. Values always travel as parameters.
package queries

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed sql/*.sql
var files embed.FS

// Set is every embedded query by name.
type Set map[string]string

// Load reads the embedded queries once.
func Load() (Set, error) {
	entries, err := fs.ReadDir(files, "sql")
	if err != nil {
		return nil, fmt.Errorf("read embedded queries: %w", err)
	}
	set := Set{}
	for _, e := range entries {
		text, err := files.ReadFile("sql/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read query %s: %w", e.Name(), err)
		}
		set[strings.TrimSuffix(e.Name(), ".sql")] = string(text)
	}
	return set, nil
}

// Names lists the queries.
func (s Set) Names() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var paramPattern = regexp.MustCompile(`\$([a-z_][a-z0-9_]*)`)

// Params lists the named parameters a query uses, so a caller passes those
// and no others.
func Params(query string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range paramPattern.FindAllStringSubmatch(stripComments(query), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// Dimensions are the ways every metric can be cut, in the order tables show them.
var Dimensions = []string{"school", "provider", "subject", "grade_band", "period", "month", "week", "ell", "sped", "econ_disadv"}
