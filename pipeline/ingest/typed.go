package ingest

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/profile"
)

// buildTyped joins the parsed values back onto the rows: typed has one row
// per raw record (footer excluded) with every canonical field typed, and for
// each parsed field its raw text and problem.
func (l *loader) buildTyped() error {
	var sel, joins, blank []string
	var args []any
	for _, f := range l.cols.fields {
		name := quoteIdent(f.Name)
		switch {
		case f.index >= 0 && needsParsing(f.Type):
			m := mapTable(f.Name)
			alias := `"j_` + f.Name + `"`
			joins = append(joins, fmt.Sprintf("LEFT JOIN %s %s ON %s.raw = r.%s", m, alias, alias, rawCol(f.Name)))
			sel = append(sel,
				fmt.Sprintf("%s.val AS %s", alias, name),
				fmt.Sprintf("%s.problem AS %s", alias, probCol(f.Name)),
				fmt.Sprintf("%s.skip AS %s", alias, skipCol(f.Name)),
				fmt.Sprintf("r.%s AS \"%s__raw\"", rawCol(f.Name), f.Name))
			if f.Type == profile.Date {
				sel = append(sel, fmt.Sprintf(`%s.win AS "%s__win", %s.school_year AS "%s__year"`, alias, f.Name, alias, f.Name))
			}
			if f.Type == profile.Time {
				sel = append(sel, fmt.Sprintf(`%s.minutes AS "%s__min"`, alias, f.Name))
			}
			blank = append(blank, fmt.Sprintf("nullif(trim(r.%s), '') IS NULL", rawCol(f.Name)))
		case f.index >= 0:
			sel = append(sel, fmt.Sprintf("nullif(trim(r.%s), '') AS %s", rawCol(f.Name), name),
				fmt.Sprintf("r.%s AS \"%s__raw\"", rawCol(f.Name), f.Name))
			blank = append(blank, fmt.Sprintf("nullif(trim(r.%s), '') IS NULL", rawCol(f.Name)))
		case f.constant != nil:
			v := parser{kind: l.req.Source.Kind, field: f.Field, prof: l.req.Profile, cfg: l.req.Config}.parse(*f.constant)
			if v.Problem != "" {
				return fmt.Errorf("profile %s: constant %s", l.req.Profile.Name, v.Problem)
			}
			sel = append(sel, fmt.Sprintf("CAST(? AS %s) AS %s", sqlType(f.Type), name))
			args = append(args, v.Value)
		default:
			sel = append(sel, fmt.Sprintf("CAST(NULL AS %s) AS %s", sqlType(f.Type), name))
		}
	}
	if len(blank) == 0 {
		blank = []string{"false"}
	}
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE typed AS
		SELECT r.rowid AS rec, %s, (%s) AS __blank
		FROM raw r %s
		WHERE r.rowid NOT IN (SELECT rec FROM footer)`,
		strings.Join(sel, ",\n\t\t"), strings.Join(blank, " AND "), strings.Join(joins, "\n\t\t"))
	if err := l.exec(q, args...); err != nil {
		return err
	}
	return l.derive()
}

// derive fills what the file leaves out but the rules give: a session's
// duration from its start and end, an assessment's window and school year
// from its test date.
func (l *loader) derive() error {
	switch l.req.Source.Kind {
	case "sessions":
		start, end := l.cols.get("start_time"), l.cols.get("end_time")
		if start.index >= 0 && end.index >= 0 {
			// A duration the file gives but that cannot be read stays a reject.
			unreadable := ""
			if l.cols.get("duration_minutes").index >= 0 {
				unreadable = " AND duration_minutes__problem IS NULL"
			}
			return l.exec(`UPDATE typed SET duration_minutes = end_time__min - start_time__min
				WHERE duration_minutes IS NULL AND end_time__min > start_time__min` + unreadable)
		}
	case "assessments":
		if l.cols.get("test_date").index >= 0 {
			return l.exec(`UPDATE typed SET "window" = coalesce("window", test_date__win),
				school_year = coalesce(school_year, test_date__year)`)
		}
	}
	return nil
}

// findRejects lists in bad every row that cannot be loaded and why: a value
// that cannot be read, or a required field that is empty. Blank rows and rows
// the profile skips (a subject that is not tutored) are counted as skipped.
func (l *loader) findRejects() error {
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE bad (rec BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR, other_rec BIGINT)`); err != nil {
		return err
	}
	var skips []string
	for _, f := range l.cols.fields {
		if f.index >= 0 && needsParsing(f.Type) {
			skips = append(skips, skipCol(f.Name))
		}
	}
	skipExpr := "CAST(NULL AS VARCHAR)"
	if len(skips) > 0 {
		skipExpr = "coalesce(" + strings.Join(skips, ", ") + ")"
	}
	if err := l.exec(fmt.Sprintf(`ALTER TABLE typed ADD COLUMN __skip VARCHAR`)); err != nil {
		return err
	}
	if err := l.exec(fmt.Sprintf(`UPDATE typed SET __skip = CASE WHEN __blank THEN 'blank row' ELSE %s END`, skipExpr)); err != nil {
		return err
	}
	for _, f := range l.cols.fields {
		name := quoteIdent(f.Name)
		if f.index >= 0 && needsParsing(f.Type) {
			if err := l.exec(fmt.Sprintf(`INSERT INTO bad SELECT rec, ?, "%s__raw", %s, NULL FROM typed
				WHERE __skip IS NULL AND %s IS NOT NULL`, f.Name, probCol(f.Name), probCol(f.Name)), f.Name); err != nil {
				return err
			}
		}
		if !f.Required {
			continue
		}
		reason := fmt.Sprintf("%s is required but empty", f.Name)
		problemClause := ""
		if f.index >= 0 && needsParsing(f.Type) {
			problemClause = " AND " + probCol(f.Name) + " IS NULL"
		}
		if f.Name == "duration_minutes" && l.cols.get("start_time").index >= 0 && l.cols.get("end_time").index >= 0 {
			// Derivation failed: say which of start and end is at fault.
			if err := l.exec(`INSERT INTO bad SELECT rec, 'duration_minutes', NULL,
				CASE WHEN start_time__min IS NULL OR end_time__min IS NULL
				     THEN 'duration_minutes is empty and the start or end time is missing, so it cannot be worked out'
				     ELSE 'end time ' || "end_time__raw" || ' is not after start time ' || "start_time__raw" END, NULL
				FROM typed WHERE __skip IS NULL AND duration_minutes IS NULL` + problemClause +
				` AND start_time__problem IS NULL AND end_time__problem IS NULL`); err != nil {
				return err
			}
			continue
		}
		if err := l.exec(fmt.Sprintf(`INSERT INTO bad SELECT rec, ?, NULL, ?, NULL FROM typed
			WHERE __skip IS NULL AND %s IS NULL%s`, name, problemClause), f.Name, reason); err != nil {
			return err
		}
	}
	rows, err := l.q.QueryContext(l.ctx, `SELECT __skip, count(*) FROM typed WHERE __skip IS NOT NULL GROUP BY ALL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var reason string
		var n int64
		if err := rows.Scan(&reason, &n); err != nil {
			return err
		}
		l.skipReasons[reason] += n
		l.res.Skipped += n
	}
	return rows.Err()
}

// keyExpr is each kind's natural key as one text value.
func keyExpr(kind string) string {
	switch kind {
	case "sessions":
		return `coalesce(session_id, concat_ws('|', student_id, CAST(session_date AS VARCHAR), coalesce(CAST(start_time AS VARCHAR), ''), coalesce(subject, '')))`
	case "assessments":
		return `concat_ws('|', student_id, assessment, subject, school_year, "window")`
	default:
		return `student_id`
	}
}

// storedColumns are the canonical columns the kind's table keeps (school
// names go to schools).
func storedColumns(kind string) []string {
	var cols []string
	for _, c := range canonicalColumns(kind) {
		if c != `"school_name"` {
			cols = append(cols, c)
		}
	}
	return cols
}

func canonicalColumns(kind string) []string {
	var cols []string
	for _, f := range profile.Fields(kind) {
		if f.Name == "end_time" {
			continue // only used to work out the duration
		}
		cols = append(cols, quoteIdent(f.Name))
	}
	return cols
}

// stageRows keeps the good rows in stage with their natural key, counts exact
// duplicates, and settles rows that share a key but differ.
func (l *loader) stageRows() error {
	kind := l.req.Source.Kind
	cols := canonicalColumns(kind)
	if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage AS
		SELECT rec, %s AS "key", %s FROM typed t
		WHERE __skip IS NULL AND NOT EXISTS (SELECT 1 FROM bad b WHERE b.rec = t.rec)`,
		keyExpr(kind), strings.Join(cols, ", "))); err != nil {
		return err
	}
	// Exact duplicates: the same values as an earlier row.
	if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE dups AS
		SELECT rec FROM (
			SELECT rec, row_number() OVER (PARTITION BY %s ORDER BY rec) AS n
			FROM stage WHERE "key" IN (SELECT "key" FROM stage GROUP BY "key" HAVING count(*) > 1)
		) WHERE n > 1`, strings.Join(cols, ", "))); err != nil {
		return err
	}
	dup, err := l.count(`SELECT count(*) FROM dups`)
	if err != nil {
		return err
	}
	l.res.Duplicate = dup
	if dup > 0 {
		if err := l.exec(`DELETE FROM stage WHERE rec IN (SELECT rec FROM dups)`); err != nil {
			return err
		}
	}
	// Same key, different values.
	switch kind {
	case "sessions":
		// Two versions of one session in one file is a provider error: keep the
		// first and reject the others, so the provider is asked.
		if err := l.exec(`INSERT INTO bad SELECT rec, 'session_id', "key",
			'the same session (' || "key" || ') appears at line {other_line} with different values', first_rec FROM (
				SELECT rec, "key", first_value(rec) OVER (PARTITION BY "key" ORDER BY rec) AS first_rec FROM stage
			) WHERE rec <> first_rec`); err != nil {
			return err
		}
		return l.exec(`DELETE FROM stage WHERE rec IN (SELECT rec FROM bad WHERE other_rec IS NOT NULL)`)
	case "assessments":
		// Retests in one window are normal: the latest test counts.
		return l.supersede(`ORDER BY test_date DESC, rec DESC`, "an earlier test in the same window (the latest counts)")
	default:
		return l.supersede(`ORDER BY rec DESC`, "the same student appears again further down (the last row counts)")
	}
}

// supersede keeps one row per key, counting the others as skipped.
func (l *loader) supersede(order, reason string) error {
	n, err := l.count(fmt.Sprintf(`SELECT count(*) FROM (
		SELECT row_number() OVER (PARTITION BY "key" %s) AS n FROM stage) WHERE n > 1`, order))
	if err != nil || n == 0 {
		return err
	}
	if err := l.exec(fmt.Sprintf(`DELETE FROM stage WHERE rec IN (SELECT rec FROM (
		SELECT rec, row_number() OVER (PARTITION BY "key" %s) AS n FROM stage) WHERE n > 1)`, order)); err != nil {
		return err
	}
	l.skipReasons[reason] += n
	l.res.Skipped += n
	return nil
}

// flushRejects writes bad into rejects with each row's line in the file.
func (l *loader) flushRejects() error {
	rows, err := l.q.QueryContext(l.ctx, `SELECT rec, field, value, reason, other_rec FROM bad ORDER BY rec, field`)
	if err != nil {
		return err
	}
	var list []Reject
	var others []int64
	for rows.Next() {
		var r Reject
		var field, value sql.NullString
		var other sql.NullInt64
		if err := rows.Scan(&r.Record, &field, &value, &r.Reason, &other); err != nil {
			rows.Close()
			return err
		}
		r.Field, r.Value = field.String, value.String
		list = append(list, r)
		others = append(others, other.Int64*boolInt(other.Valid)-boolInt(!other.Valid))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	recordOf := l.rowidToRecord(len(list) > 0)
	distinct := map[int64]bool{}
	for i := range list {
		distinct[list[i].Record] = true
		rec := recordOf(list[i].Record)
		list[i].Line = int64(l.prep.LineOf(rec))
		if others[i] >= 0 {
			list[i].Reason = strings.ReplaceAll(list[i].Reason, "{other_line}", fmt.Sprint(l.prep.LineOf(recordOf(others[i]))))
		}
		list[i].Record = int64(rec + 1)
		list[i].Column = l.cols.get(list[i].Field).header
	}
	l.res.Rejected += int64(len(distinct))
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return l.addRejects(list)
}

// rowidToRecord maps raw's rowids to data record indexes: raw lacks the
// records DuckDB rejected for their shape.
func (l *loader) rowidToRecord(needed bool) func(int64) int {
	if !needed || len(l.structural) == 0 {
		return func(r int64) int { return int(r) }
	}
	skip := map[int]bool{}
	for _, s := range l.structural {
		skip[int(s)] = true
	}
	var table []int32
	for i := 0; i < l.prep.Records(); i++ {
		if !skip[l.prep.LineOf(i)] {
			table = append(table, int32(i))
		}
	}
	return func(r int64) int {
		if r < 0 || int(r) >= len(table) {
			return int(r)
		}
		return int(table[r])
	}
}

// addRejects writes rejects, keeping the first few for the terminal.
func (l *loader) addRejects(list []Reject) error {
	const batch = 400
	for i := 0; i < len(list); i += batch {
		end := min(i+batch, len(list))
		args := make([]any, 0, 7*(end-i))
		ph := make([]string, 0, end-i)
		for _, r := range list[i:end] {
			args = append(args, l.fileID, r.Line, r.Record, nullable(r.Column), nullable(r.Field), nullable(r.Value), r.Reason)
			ph = append(ph, "(?, ?, ?, ?, ?, ?, ?)")
		}
		if err := l.exec(`INSERT INTO rejects (file_id, line, record, column_name, field, value, reason) VALUES `+strings.Join(ph, ", "), args...); err != nil {
			return err
		}
	}
	for _, r := range list {
		if len(l.res.Rejects) >= 20 {
			break
		}
		l.res.Rejects = append(l.res.Rejects, r)
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
