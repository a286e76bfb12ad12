package ingest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// apply merges the good rows into the canonical table under the source's
// load mode:
//   - upsert: rows replace rows with the same natural key;
//   - snapshot: as upsert, and the provider's rows in the file's date range
//     that the file no longer has are removed;
//   - append: rows are only added; a key already loaded is a reject.
//
// Only new and changed rows are written, so a nightly cumulative file that is
// mostly unchanged costs a join, not a rewrite.
func (l *loader) apply() error {
	kind := l.req.Source.Kind
	table, scope, keyOfWarehouse := targetOf(kind)
	whereScope, scopeArgs := "true", []any(nil)
	if scope != "" {
		whereScope, scopeArgs = scope+" = ?", []any{l.req.Source.Provider}
	}
	var existing bool
	if err := l.q.QueryRowContext(l.ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s WHERE %s)`, table, whereScope), scopeArgs...).Scan(&existing); err != nil {
		return fmt.Errorf("look for earlier rows: %w", err)
	}
	if existing {
		if err := l.compare(table, whereScope, keyOfWarehouse, scopeArgs); err != nil {
			return err
		}
	} else {
		n, err := l.count(`SELECT count(*) FROM ` + l.good())
		if err != nil {
			return err
		}
		l.res.New = n
	}
	l.stage("writing rejects")
	if err := l.flushRejects(); err != nil {
		return err
	}
	l.res.Loaded = l.res.New + l.res.Changed + l.res.Unchanged

	if l.req.Source.LoadMode == "snapshot" && kind == "sessions" {
		if err := l.removeAbsent(); err != nil {
			return err
		}
	}
	if l.res.Changed > 0 {
		if err := l.exec(fmt.Sprintf(`DELETE FROM %s WHERE %s AND %s IN (SELECT "key" FROM changes WHERE state = 'changed')`,
			table, whereScope, keyOfWarehouse), scopeArgs...); err != nil {
			return err
		}
	}
	l.stage("writing rows")
	lineExpr, lineJoin, lineArgs, err := l.lineNumbers()
	if err != nil {
		return err
	}
	write := l.good() // read after compare, which may drop rows
	if existing {
		write = `(SELECT * FROM ` + write + ` g WHERE rec IN (SELECT rec FROM changes WHERE state <> 'unchanged'))`
	}
	insertCols, selectCols := insertColumns(kind, lineExpr)
	var args []any
	if kind == "sessions" {
		args = append(args, l.req.Source.Provider)
	}
	args = append(args, l.fileID)
	args = append(args, lineArgs...)
	if err := l.exec(fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s i %s`, table, insertCols, selectCols, write, lineJoin), args...); err != nil {
		return err
	}
	l.stage("updating schools and students")
	return l.updateDimensions()
}

// compare sorts the good rows into new, changed and unchanged against the
// warehouse; in append mode a key already loaded is rejected.
func (l *loader) compare(table, whereScope, keyOfWarehouse string, scopeArgs []any) error {
	var same []string
	for _, c := range storedColumns(l.req.Source.Kind) {
		same = append(same, fmt.Sprintf("g.%s IS NOT DISTINCT FROM w.%s", c, c))
	}
	if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE changes AS
		SELECT g.rec, g."key", CASE WHEN w.file_id IS NULL THEN 'new' WHEN %s THEN 'unchanged' ELSE 'changed' END AS state,
		       w.file_id AS prior_file, w.line AS prior_line
		FROM %s g LEFT JOIN (SELECT %s AS wkey, * FROM %s WHERE %s) w ON w.wkey = g."key"`,
		strings.Join(same, " AND "), l.good(), keyOfWarehouse, table, whereScope), scopeArgs...); err != nil {
		return err
	}
	if l.req.Source.LoadMode == "append" {
		if err := l.exec(`INSERT INTO bad SELECT rec, NULL, "key",
			'already loaded from file #' || prior_file || ' (line ' || coalesce(CAST(prior_line AS VARCHAR), '?') || '); append mode adds rows only', NULL
			FROM changes WHERE state <> 'new'`); err != nil {
			return err
		}
		if err := l.drop(`SELECT rec FROM changes WHERE state <> 'new'`); err != nil {
			return err
		}
		if err := l.exec(`DELETE FROM changes WHERE state <> 'new'`); err != nil {
			return err
		}
	}
	rows, err := l.q.QueryContext(l.ctx, `SELECT state, count(*) FROM changes GROUP BY ALL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return err
		}
		switch state {
		case "new":
			l.res.New = n
		case "changed":
			l.res.Changed = n
		case "unchanged":
			l.res.Unchanged = n
		}
	}
	return rows.Err()
}

// targetOf gives each kind's table, the column that scopes a source's rows,
// and the natural key written over the table's columns.
func targetOf(kind string) (table, scope, key string) {
	switch kind {
	case "sessions":
		return "sessions", "provider", "session_key"
	case "assessments":
		return "assessments", "", keyExpr("assessments") // the same columns in the warehouse
	default:
		return "students", "", "student_id"
	}
}

func insertColumns(kind, lineExpr string) (string, string) {
	var ins, sel []string
	if kind == "sessions" {
		ins = append(ins, "provider")
		sel = append(sel, "?")
	}
	for _, c := range storedColumns(kind) {
		ins = append(ins, c)
		sel = append(sel, "i."+c)
	}
	if kind == "roster" {
		ins = append(ins, "source")
		sel = append(sel, "'roster'")
	}
	ins = append(ins, "file_id", "line")
	sel = append(sel, "?", lineExpr)
	return strings.Join(ins, ", "), strings.Join(sel, ", ")
}

// lineNumbers gives the SQL for each inserted row's line in the file. A
// plain file's lines are its rowids plus one offset; a file with blank lines
// inside, quoted line breaks or rows DuckDB rejected gets a table of the
// rowids where the offset changes, joined with ASOF.
func (l *loader) lineNumbers() (expr, join string, args []any, err error) {
	skip := map[int]bool{}
	for _, s := range l.structural {
		skip[int(s)] = true
	}
	var breaks []any
	var rowid int64
	last := int64(-1 << 62)
	for i := 0; i < l.prep.Records(); i++ {
		line := l.prep.LineOf(i)
		if skip[line] {
			continue
		}
		if off := int64(line) - rowid; off != last {
			breaks = append(breaks, rowid, off)
			last = off
		}
		rowid++
	}
	// A wide layout's raw has l.blocks rows per record.
	rec := "i.rec"
	if l.blocks > 1 {
		rec = fmt.Sprintf("(i.rec // %d)", l.blocks)
		for j := 0; j < len(breaks); j += 2 {
			breaks[j] = breaks[j].(int64) * l.blocks
		}
	}
	if len(breaks) <= 2 {
		off := int64(l.prep.HeaderLine + 1)
		if len(breaks) == 2 {
			off = breaks[1].(int64)
		}
		return rec + " + ?", "", []any{off}, nil
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE line_offsets (rec BIGINT, line_offset BIGINT)`); err != nil {
		return "", "", nil, err
	}
	if err := l.insertRows("line_offsets", 2, breaks); err != nil {
		return "", "", nil, err
	}
	return rec + " + o.line_offset", "ASOF JOIN line_offsets o ON i.rec >= o.rec", nil, nil
}

// removeAbsent applies snapshot mode: the file is the provider's whole
// history for the dates it covers, so their rows it no longer has go.
// A bad row must not delete its good earlier version: see keep below.
func (l *loader) removeAbsent() error {
	present := `SELECT "key" FROM ` + l.good()
	// A rejected row still names its session (by id), or at least its
	// student: those earlier rows are kept until the provider sends a row
	// that can be read.
	keep := "false"
	if l.cols.get("session_id").index >= 0 {
		present += ` UNION ALL SELECT nullif(trim(r_session_id), '') FROM raw`
	} else {
		keep = `student_id IN (SELECT nullif(trim(r.r_student_id), '') FROM raw r WHERE r.rowid IN (SELECT rec FROM bad))`
	}
	res, err := l.q.ExecContext(l.ctx, `DELETE FROM sessions WHERE provider = ?
		AND session_date BETWEEN (SELECT min(session_date) FROM `+l.good()+`) AND (SELECT max(session_date) FROM `+l.good()+`)
		AND session_key NOT IN (SELECT "key" FROM (`+present+`) WHERE "key" IS NOT NULL)
		AND NOT (`+keep+`)`, l.req.Source.Provider)
	if err != nil {
		return fmt.Errorf("remove sessions absent from the snapshot: %w", err)
	}
	l.res.Removed, _ = res.RowsAffected()
	return nil
}

// updateDimensions adds the schools and students the file names.
func (l *loader) updateDimensions() error {
	if err := l.exec(`INSERT INTO schools SELECT school_id, max(school_name) FROM ` + l.good() + `
		WHERE school_id IS NOT NULL AND school_id NOT IN (SELECT school_id FROM schools) GROUP BY school_id`); err != nil {
		return err
	}
	// Files fill in a name only where none is known: the config's names win,
	// and a name does not flip between two files that spell it differently.
	if err := l.exec(`UPDATE schools SET name = s.name FROM (
		SELECT school_id, max(school_name) AS name FROM ` + l.good() + ` WHERE school_name IS NOT NULL GROUP BY school_id) s
		WHERE schools.school_id = s.school_id AND schools.name IS NULL`); err != nil {
		return err
	}
	if l.req.Source.Kind == "assessments" {
		// Students the roster does not list yet are known from their tests.
		return l.exec(`INSERT INTO students (student_id, school_id, grade, source, file_id, line)
			SELECT student_id, arg_max(school_id, test_date), arg_max(grade, test_date), 'assessment', ?, NULL
			FROM `+l.good()+` WHERE student_id NOT IN (SELECT student_id FROM students) GROUP BY student_id`, l.fileID)
	}
	return nil
}

// record writes the file's row in files, with the counts that reconcile.
func (l *loader) record(profHash string, start time.Time) error {
	skips, _ := json.Marshal(l.skipReasons)
	dropped, _ := json.Marshal(l.res.DroppedColumns)
	notes, _ := json.Marshal(l.res.Notes)
	r := l.res
	modified, quick := l.fp.columns()
	if got := r.Loaded + r.Rejected + r.Duplicate + r.Skipped; got != r.Read {
		return fmt.Errorf("rows do not reconcile: read %d, but loaded %d + rejected %d + duplicate %d + skipped %d = %d",
			r.Read, r.Loaded, r.Rejected, r.Duplicate, r.Skipped, got)
	}
	return l.exec(`INSERT INTO files (file_id, source, kind, provider, path, content_hash, size_bytes, profile, profile_hash,
		load_mode, status, message, encoding, header_line, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_skipped,
		rows_new, rows_changed, rows_unchanged, rows_removed, skip_reasons, dropped_columns, notes, started_at, finished_at,
		modified_us, quick_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.fileID, l.req.Source.Name, l.req.Source.Kind, nullable(l.req.Source.Provider), l.req.name(), l.prep.Hash, l.prep.Size,
		l.req.Profile.Name, profHash, l.req.Source.LoadMode, r.Status, nullable(r.Message), l.prep.Encoding, l.prep.HeaderLine,
		r.Read, r.Loaded, r.Rejected, r.Duplicate, r.Skipped, r.New, r.Changed, r.Unchanged, r.Removed,
		string(skips), string(dropped), string(notes), start, l.req.Now(), modified, quick)
}
