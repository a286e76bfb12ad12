package ingest

import (
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/values"
)

// buildTyped joins the parsed values back onto the rows in one pass: typed
// has one row per data record (footer excluded) with every canonical field
// typed, derived fields filled, the natural key, and two flags: __skip (why
// the row is skipped on purpose) and __bad (some value cannot be loaded).
// Why a bad row is bad is worked out afterwards, for those rows only.
func (l *loader) buildTyped() error {
	kind := l.req.Source.Kind
	// inner computes every value once; outer derives the flags and the key
	// from them by name.
	var inner, joins, blank, problems, skips []string
	var args []any
	value := map[string]string{}
	for _, f := range l.cols.fields {
		switch {
		case f.index >= 0 && f.parsed:
			j := joinAlias(f.Name)
			joins = append(joins, fmt.Sprintf("LEFT JOIN %s %s ON %s.raw = r.%s", mapTable(f.Name), j, j, rawCol(f.Name)))
			value[f.Name] = j + ".val"
			// The map reads an empty or blank raw value as no value, no problem.
			inner = append(inner, fmt.Sprintf(`%s.problem IS NOT NULL AS "%s__bad", %s.skip AS "%s__skip", %s.val IS NULL AND %s.problem IS NULL AND %s.skip IS NULL AS "%s__blank"`,
				j, f.Name, j, f.Name, j, j, j, f.Name))
			problems = append(problems, fmt.Sprintf(`"%s__bad"`, f.Name))
			skips = append(skips, fmt.Sprintf(`"%s__skip"`, f.Name))
			blank = append(blank, fmt.Sprintf(`"%s__blank"`, f.Name))
		case f.index >= 0:
			value[f.Name] = fmt.Sprintf("nullif(%s, '')", l.idExpr("r."+rawCol(f.Name)))
			if f.Name == "student_id" && l.req.Profile.StudentIDWidth > 0 {
				// Ids a spreadsheet read as numbers lost their leading zeros.
				id := l.idExpr("r." + rawCol(f.Name))
				value[f.Name] = fmt.Sprintf("nullif(CASE WHEN length(%s) < %d AND regexp_full_match(%s, '[0-9]+') THEN lpad(%s, %d, '0') ELSE %s END, '')",
					id, l.req.Profile.StudentIDWidth, id, id, l.req.Profile.StudentIDWidth, id)
			}
			blank = append(blank, quoteIdent(f.Name)+" IS NULL")
		case f.constant != nil:
			v := profile.Reader{Kind: kind, Field: f.Field, Profile: l.req.Profile.Profile, Config: l.req.Config}.Read(*f.constant)
			if v.Problem != "" {
				return fmt.Errorf("profile %s: constant %s", l.req.Profile.Name, v.Problem)
			}
			value[f.Name] = fmt.Sprintf("CAST(? AS %s)", sqlType(f.Type))
			args = append(args, v.Value)
		default:
			value[f.Name] = fmt.Sprintf("CAST(NULL AS %s)", sqlType(f.Type))
		}
	}
	l.derive(value)
	var outer, required []string
	for _, f := range l.cols.fields {
		if f.Name == "end_time" {
			continue // only used to work out the duration
		}
		inner = append(inner, value[f.Name]+" AS "+quoteIdent(f.Name))
		outer = append(outer, quoteIdent(f.Name))
		if f.Required && f.constant == nil { // a constant is never empty
			required = append(required, quoteIdent(f.Name)+" IS NULL")
		}
	}
	if kind == "assessments" {
		// The measure growth, coverage and impact read.
		primary := l.req.Profile.PrimaryMeasure
		if primary == "" {
			primary = "composite"
		}
		outer = append(outer, fmt.Sprintf(`lower("measure") = %s AS primary_measure`, sqlString(strings.ToLower(primary))))
	}
	if len(blank) == 0 {
		blank = []string{"false"}
	}
	skipExpr := "CAST(NULL AS VARCHAR)"
	if len(skips) > 0 {
		skipExpr = "coalesce(" + strings.Join(skips, ", ") + ")"
	}
	// rows_where: rows whose column holds another value are skipped.
	for w, wu := range l.cols.where {
		vals := make([]string, len(wu.values))
		for i, v := range wu.values {
			vals[i] = sqlString(strings.ToLower(values.Trim(v)))
		}
		col := fmt.Sprintf(`r."__where_%d"`, w)
		inner = append(inner, fmt.Sprintf(`CASE WHEN coalesce(lower(trim(%s)), '') NOT IN (%s)
			THEN %s || coalesce('"' || trim(%s) || '"', 'empty') || %s END AS "__where_skip_%d"`,
			col, strings.Join(vals, ", "), sqlString(wu.name+" "), col,
			sqlString(", not "+strings.Join(wu.values, " or ")+" (rows_where in the profile)"), w))
		skipExpr = fmt.Sprintf(`coalesce("__where_skip_%d", %s)`, w, skipExpr)
	}
	// A block of a wide layout with nothing in its columns was not taken
	// (a window the student was not tested in): skipped, not rejected.
	if len(l.cols.blocks) > 0 && l.hasBlockColumns() {
		var empty []string
		var without []string
		for _, w := range l.req.Profile.Wide {
			without = append(without, w.SkipWithout...)
		}
		for _, f := range l.cols.fields {
			if f.blockIndexes != nil && (len(without) == 0 || slices.Contains(without, f.Name)) {
				empty = append(empty, fmt.Sprintf("nullif(trim(r.%s), '') IS NULL", rawCol(f.Name)))
			}
		}
		if len(empty) == 0 {
			empty = []string{"false"}
		}
		labels := make([]string, len(l.cols.blocks))
		for b, blk := range l.cols.blocks {
			reason := "empty block " + blk.Label + " (all its columns blank)"
			if len(without) > 0 {
				reason = "block " + blk.Label + " not taken (no " + strings.Join(without, " or ") + ")"
			}
			labels[b] = fmt.Sprintf("WHEN %d THEN %s", b, sqlString(reason))
		}
		inner = append(inner, fmt.Sprintf(`CASE WHEN %s THEN CASE r.rowid %% %d %s END END AS "__block_empty"`,
			strings.Join(empty, " AND "), l.blocks, strings.Join(labels, " ")))
		skipExpr = `coalesce("__block_empty", ` + skipExpr + `)`
	}
	badExpr := strings.Join(append(problems, required...), " OR ")
	if badExpr == "" {
		badExpr = "false"
	}
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE typed AS
		SELECT rec, %s,
		       CASE WHEN %s THEN 'blank row' ELSE %s END AS __skip,
		       (%s) AS __bad,
		       %s AS "key"
		FROM (SELECT r.rowid AS rec, %s FROM raw r %s WHERE r.rowid < ?)`,
		strings.Join(outer, ", "), strings.Join(blank, " AND "), skipExpr, badExpr, keyExpr(kind),
		strings.Join(inner, ",\n\t\t\t"), strings.Join(joins, "\n\t\t\t"))
	args = append(args, l.dataRows)
	return l.exec(q, args...)
}

// hasBlockColumns says whether some field comes from the wide blocks' columns.
func (l *loader) hasBlockColumns() bool {
	for _, f := range l.cols.fields {
		if f.blockIndexes != nil {
			return true
		}
	}
	return false
}

func joinAlias(field string) string { return `"j_` + field + `"` }

// idExpr trims ids as values.Trim does (FuzzIDTrimMatchesGo checks that
// they agree). DuckDB's plain trim removes the Unicode space separators; the
// long form, three times slower, is needed only when the file holds tabs
// (not as its delimiter), line breaks inside quotes, zero-width spaces or
// byte-order marks.
func (l *loader) idExpr(col string) string {
	if !l.prep.OddSpace && (!l.prep.HasTab || l.prep.Delimiter == '\t') {
		return "trim(" + col + ")"
	}
	return "trim(" + col + ", " + trimmedChars + ")"
}

// trimmedChars is every character values.IsTrimmed accepts, as SQL.
var trimmedChars = func() string {
	var parts []string
	for r := rune(0); r <= 0xFFFF; r++ {
		if values.IsTrimmed(r) {
			parts = append(parts, fmt.Sprintf("chr(%d)", r))
		}
	}
	return strings.Join(parts, " || ")
}()

// derive fills what the file leaves out but the rules give: a session's
// duration from its start and end, an assessment's window and school year
// from its test date, its measure (composite unless the file says), a
// school's id from its name in the config.
func (l *loader) derive(value map[string]string) {
	if l.cols.schoolByName {
		value["school_id"] = joinAlias("school_name") + ".school_id"
	}
	switch l.req.Source.Kind {
	case "sessions":
		if l.cols.get("start_time").index >= 0 && l.cols.get("end_time").index >= 0 {
			s, e := joinAlias("start_time"), joinAlias("end_time")
			value["duration_minutes"] = fmt.Sprintf("coalesce(%s, CASE WHEN %s.minutes > %s.minutes THEN %s.minutes - %s.minutes END)",
				value["duration_minutes"], e, s, e, s)
		}
	case "assessments":
		value["measure"] = fmt.Sprintf("coalesce(%s, 'composite')", value["measure"])
		if l.cols.get("test_date").index >= 0 {
			d := joinAlias("test_date")
			value["window"] = fmt.Sprintf("coalesce(%s, %s.win)", value["window"], d)
			value["school_year"] = fmt.Sprintf("coalesce(%s, %s.school_year)", value["school_year"], d)
		}
	}
}

// findRejects says why each bad row is bad (a value that cannot be read, a
// required field that is empty), working on the bad rows alone, and counts
// the rows skipped on purpose (blank rows, subjects that are not tutored).
func (l *loader) findRejects() error {
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE bad (rec BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR, other_rec BIGINT)`); err != nil {
		return err
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE dropped (rec BIGINT)`); err != nil {
		return err
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE badrows AS
		SELECT t.*, r.* FROM typed t JOIN raw r ON r.rowid = t.rec WHERE t.__bad AND t.__skip IS NULL`); err != nil {
		return err
	}
	nBad, err := l.count(`SELECT count(*) FROM badrows`)
	if err != nil {
		return err
	}
	if nBad > 0 {
		if err := l.explainBadRows(); err != nil {
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

// explainBadRows writes one line in bad per problem of each bad row.
func (l *loader) explainBadRows() error {
	startEnd := l.cols.get("start_time").index >= 0 && l.cols.get("end_time").index >= 0
	for _, f := range l.cols.fields {
		if f.index >= 0 && f.parsed {
			if err := l.exec(fmt.Sprintf(`INSERT INTO bad SELECT b.rec, ?, b.%s, j.problem, NULL
				FROM badrows b JOIN %s j ON j.raw = b.%s WHERE j.problem IS NOT NULL`,
				rawCol(f.Name), mapTable(f.Name), rawCol(f.Name)), f.Name); err != nil {
				return err
			}
		}
		if !f.Required {
			continue
		}
		reason := fmt.Sprintf("'%s is required but empty'", f.Name)
		if (f.Name == "window" || f.Name == "school_year") && l.cols.get("test_date").index >= 0 {
			reason = fmt.Sprintf(`CASE WHEN b.test_date IS NULL THEN '%s is empty and there is no test date to work it out from'
				ELSE 'the file gives no %s and test_date ' || CAST(b.test_date AS VARCHAR) || ' falls in no testing window of the calendar' END`, f.Name, f.Name)
		}
		if f.Name == "duration_minutes" && startEnd {
			reason = `CASE WHEN b.start_time IS NULL OR "j_end".val IS NULL
				THEN 'duration_minutes is empty and the start or end time is missing, so it cannot be worked out'
				ELSE 'end time ' || trim(b.r_end_time) || ' is not after start time ' || trim(b.r_start_time) END`
		}
		// Empty, not unreadable: an unreadable value is explained above.
		unreadable := "false"
		if f.index >= 0 && f.parsed {
			unreadable = fmt.Sprintf("EXISTS (SELECT 1 FROM %s j WHERE j.raw = b.%s AND j.problem IS NOT NULL)", mapTable(f.Name), rawCol(f.Name))
		}
		join := ""
		if f.Name == "duration_minutes" && startEnd {
			join = ` LEFT JOIN "m_end_time" "j_end" ON "j_end".raw = b.r_end_time`
			unreadable += ` OR EXISTS (SELECT 1 FROM "m_start_time" j WHERE j.raw = b.r_start_time AND j.problem IS NOT NULL)
				OR EXISTS (SELECT 1 FROM "m_end_time" j WHERE j.raw = b.r_end_time AND j.problem IS NOT NULL)`
		}
		if err := l.exec(fmt.Sprintf(`INSERT INTO bad SELECT b.rec, ?, NULL, %s, NULL FROM badrows b%s
			WHERE b.%s IS NULL AND NOT (%s)`, reason, join, quoteIdent(f.Name), unreadable), f.Name); err != nil {
			return err
		}
	}
	// Every bad row must be explained; this guards the accounting.
	return l.exec(`INSERT INTO bad SELECT rec, NULL, NULL, 'the row could not be read', NULL FROM badrows
		WHERE rec NOT IN (SELECT rec FROM bad)`)
}

// keyExpr is each kind's natural key as one text value.
func keyExpr(kind string) string {
	switch kind {
	case "sessions":
		return `coalesce(session_id, concat_ws('|', student_id, CAST(session_date AS VARCHAR), coalesce(CAST(start_time AS VARCHAR), ''), coalesce(subject, '')))`
	case "assessments":
		return `concat_ws('|', student_id, assessment, subject, school_year, "window", measure, CAST(test_date AS VARCHAR))`
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
	if kind == "assessments" {
		cols = append(cols, "primary_measure")
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

// good selects the rows that can load: not bad, not skipped, and not
// dropped as a duplicate or a superseded or conflicting version. The usual
// file drops nothing and is spared the anti-join.
func (l *loader) good() string {
	if !l.anyDropped {
		return `(SELECT * FROM typed WHERE NOT __bad AND __skip IS NULL)`
	}
	return `(SELECT * FROM typed WHERE NOT __bad AND __skip IS NULL AND rec NOT IN (SELECT rec FROM dropped))`
}

// drop adds rows to dropped.
func (l *loader) drop(query string, args ...any) error {
	if err := l.exec(`INSERT INTO dropped `+query, args...); err != nil {
		return err
	}
	n, err := l.count(`SELECT count(*) FROM dropped`)
	l.anyDropped = n > 0
	return err
}

// keyExpr must match the sessions table's generated session_key.

// stageRows settles rows of the file that share a natural key: exact
// duplicates are counted; versions that differ are kept or rejected by kind.
// Files without repeated keys (the usual case) cost one count.
func (l *loader) stageRows() error {
	var n, distinct int64
	if err := l.q.QueryRowContext(l.ctx, `SELECT count(*), count(DISTINCT "key") FROM typed WHERE NOT __bad AND __skip IS NULL`).Scan(&n, &distinct); err != nil {
		return fmt.Errorf("count keys: %w", err)
	}
	if n == distinct {
		return nil
	}
	kind := l.req.Source.Kind
	cols := canonicalColumns(kind)
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE repeated AS SELECT * FROM typed WHERE NOT __bad AND __skip IS NULL
		AND "key" IN (SELECT "key" FROM typed WHERE NOT __bad AND __skip IS NULL GROUP BY "key" HAVING count(*) > 1)`); err != nil {
		return err
	}
	// Exact duplicates: the same values as an earlier row.
	if err := l.drop(fmt.Sprintf(`SELECT rec FROM (
		SELECT rec, row_number() OVER (PARTITION BY %s ORDER BY rec) AS n FROM repeated) WHERE n > 1`, strings.Join(cols, ", "))); err != nil {
		return err
	}
	dup, err := l.count(`SELECT count(*) FROM dropped`)
	if err != nil {
		return err
	}
	l.res.Duplicate = dup
	if err := l.exec(`DELETE FROM repeated WHERE rec IN (SELECT rec FROM dropped)`); err != nil {
		return err
	}
	// Same key, different values.
	switch kind {
	case "sessions":
		// Two versions of one session in one file is a provider error: keep the
		// first and reject the others, so the provider is asked.
		if err := l.exec(`INSERT INTO bad SELECT rec, 'session_id', "key",
			'the same session (' || "key" || ') appears at line {other_line} with different values', first_rec FROM (
				SELECT rec, "key", first_value(rec) OVER (PARTITION BY "key" ORDER BY rec) AS first_rec FROM repeated
			) WHERE rec <> first_rec`); err != nil {
			return err
		}
		return l.drop(`SELECT rec FROM bad WHERE other_rec IS NOT NULL`)
	case "assessments":
		// Every administration in a window is kept (its test date is in the
		// key); the same test twice in one file is a correction: the last row counts.
		return l.supersede(`ORDER BY rec DESC`, "the same test (student, subject, window, measure and date) appears again further down (the last row counts)")
	default:
		return l.supersede(`ORDER BY rec DESC`, "the same student appears again further down (the last row counts)")
	}
}

// supersede keeps one row per repeated key, counting the others as skipped.
func (l *loader) supersede(order, reason string) error {
	before, err := l.count(`SELECT count(*) FROM dropped`)
	if err != nil {
		return err
	}
	if err := l.drop(fmt.Sprintf(`SELECT rec FROM (
		SELECT rec, row_number() OVER (PARTITION BY "key" %s) AS n FROM repeated) WHERE n > 1`, order)); err != nil {
		return err
	}
	after, err := l.count(`SELECT count(*) FROM dropped`)
	if err != nil {
		return err
	}
	if n := after - before; n > 0 {
		l.skipReasons[reason] += n
		l.res.Skipped += n
	}
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
	toRecord := l.rowidToRecord(len(list) > 0)
	// A wide layout's raw has a row per block of each record.
	recordOf := func(rowid int64) int { return toRecord(rowid / l.blocks) }
	distinct := map[int64]bool{}
	for i := range list {
		distinct[list[i].Record] = true
		rec := recordOf(list[i].Record)
		f := l.cols.get(list[i].Field)
		list[i].Column = f.header
		if block := list[i].Record % l.blocks; f.blockHeaders != nil && int(block) < len(f.blockHeaders) {
			list[i].Column = f.blockHeaders[block]
		} else if len(l.cols.blocks) > 0 && list[i].Field != "" && f.blockSets != nil {
			list[i].Column = ""
			list[i].Reason += fmt.Sprintf(" (block %s)", l.cols.blocks[block].Label)
		}
		list[i].Line = int64(l.prep.LineOf(rec))
		if others[i] >= 0 {
			list[i].Reason = strings.ReplaceAll(list[i].Reason, "{other_line}", fmt.Sprint(l.prep.LineOf(recordOf(others[i]))))
		}
		list[i].Record = int64(rec + 1)
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
	values := make([]any, 0, 7*len(list))
	for _, r := range list {
		values = append(values, l.fileID, r.Line, r.Record, nullable(r.Column), nullable(r.Field), nullable(r.Value), r.Reason)
	}
	if err := l.insertRows("rejects (file_id, line, record, column_name, field, value, reason)", 7, values); err != nil {
		return err
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
