package profile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hitreflect/hitreflect/config"
)

// InJoin says whether a joined file gives a field.
func InJoin(p config.Profile, field string) bool {
	for _, j := range p.Join {
		if _, ok := j.Columns[field]; ok {
			return true
		}
	}
	return false
}

// checkJoins validates bundle:, join: and rows_where:.
func checkJoins(l *config.Locator, key string, p config.Profile, known func(string) bool, fieldNames func() string) config.Errors {
	var errs config.Errors
	add := func(k, format string, args ...any) { errs = append(errs, l.Errorf(k, format, args...)) }
	if len(p.Join) > 0 && len(p.Wide) > 0 {
		add(key+".join", "join: and wide: cannot be used together yet")
	}
	if p.Bundle != "" && (strings.ContainsAny(p.Bundle, `/\`) || !strings.HasSuffix(strings.ToLower(p.Bundle), ".csv")) {
		add(key+".bundle", "expected the name of a CSV file in the zip, such as users.csv, got %q", p.Bundle)
	}
	for i, j := range p.Join {
		k := fmt.Sprintf("%s.join[%d]", key, i)
		if strings.TrimSpace(j.File) == "" || strings.ContainsAny(j.File, `/\`) {
			add(k+".file", "expected the name of a file beside the file being loaded (or in its zip), such as orgs.csv")
		}
		if len(j.Key) == 0 {
			add(k+".key", "expected the column of this file that holds the key (or a list: the first non-empty counts)")
		}
		if strings.TrimSpace(j.On) == "" {
			add(k+".on", "expected the column of %s that the key is matched to", j.File)
		}
		if len(j.Columns) == 0 {
			add(k+".columns", "expected the fields %s gives, as field: header", j.File)
		}
		for _, f := range slices.Sorted(maps.Keys(j.Columns)) {
			if _, where := p.RowsWhere[f]; !known(f) && !where {
				add(k+".columns."+f, "%q is not a field of %s files (fields: %s) nor a rows_where: name", f, p.Kind, fieldNames())
			}
			if _, ok := p.Columns[f]; ok && known(f) {
				add(k+".columns."+f, "%s is also under columns:; a field comes from one place", f)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.RowsWhere)) {
		if len(p.RowsWhere[name]) == 0 {
			add(key+".rows_where."+name, "expected the values of %s whose rows are loaded", name)
		}
	}
	return errs
}
