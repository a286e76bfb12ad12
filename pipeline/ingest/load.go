// Package ingest loads one file into the warehouse: every row read is loaded,
// rejected with a reason, counted as a duplicate, or skipped on purpose, and
// the file lands whole or not at all.
//
// The work is split where each tool is strongest. Go prepares the file
// (encoding, header, line numbers) and reads each distinct raw value once
// (values/); DuckDB reads the rows (read_csv, all text), joins the
// parsed values back, finds rejects and duplicates, and applies the load mode.
package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/values"
)

// Request is one file to load from one source.
type Request struct {
	Config  *config.Config
	Source  config.Source
	Profile profile.Profile
	Path    string
	// Origin names where a downloaded file came from (an sftp:// or https://
	// address); the files table records it, and messages name it, instead of
	// Path, a staged copy deleted after the run. Empty: Path is the origin.
	Origin  string
	TempDir string
	// DryRun does all the work and then rolls it back (hitreflect check).
	DryRun bool
	// Stage, when set, is told each step of the load (for a progress display).
	Stage func(step string)
	Now   func() time.Time
}

// name is the file as the warehouse records it and messages name it.
func (r Request) name() string {
	if r.Origin != "" {
		return r.Origin
	}
	return r.Path
}

// Status of a file after a load attempt.
const (
	StatusLoaded   = "loaded"
	StatusRejected = "rejected" // the file could not be read at all, or every data row was rejected; nothing loaded
	StatusSeen     = "already_loaded"
	StatusFailed   = "failed" // the load stopped on an error; nothing loaded, nothing recorded
)

// Result says what happened to a file.
type Result struct {
	FileID   int64
	Path     string
	Status   string
	Message  string
	Encoding string
	Header   int
	Counts
	SkipReasons    map[string]int64
	DroppedColumns []string // personal-data columns never read
	DroppedBecause []string // the rule that dropped each (a person's name, a phone number, ...)
	Mapping        []string // where each field comes from ("scale_score <- Fall Composite Score, ...")
	UnknownColumns []string // headers the profile does not map
	MissingColumns []string // optional mapped columns absent from the file
	Rejects        []Reject // the first rejects, for the terminal
	Notes          []string // how some values were read, worth a look
	SeenAt         time.Time
	Elapsed        time.Duration
	Steps          []Step // how long each step took
}

// Step is one step of a load and its time.
type Step struct {
	Name string
	Took time.Duration
}

// Counts reconcile: Read = Loaded + Rejected + Duplicate + Skipped.
type Counts struct {
	Read, Loaded, Rejected, Duplicate, Skipped int64
	New, Changed, Unchanged, Removed           int64
}

// Reject is one row (or one column of a row) that could not be loaded.
type Reject struct {
	Line   int64
	Record int64
	Column string
	Field  string
	Value  string
	Reason string
}

func (r Reject) String() string {
	loc := fmt.Sprintf("line %d", r.Line)
	if r.Column != "" {
		loc += fmt.Sprintf(", column %q", r.Column)
	}
	return loc + ": " + r.Reason
}

// conn is what the loader needs of a DuckDB connection; a *sql.Conn pins one,
// so the staging tables (temporary, per connection) stay visible.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Load loads one file in one transaction on c.
func Load(ctx context.Context, c *sql.Conn, req Request) (*Result, error) {
	start := time.Now()
	if req.Now == nil {
		req.Now = time.Now
	}
	res := &Result{Path: req.name()}
	// Each step's time is kept in the result; the caller's display is told too.
	last, lastName := time.Now(), ""
	stage := func(step string) {
		now := time.Now()
		if lastName != "" {
			res.Steps = append(res.Steps, Step{Name: lastName, Took: now.Sub(last)})
		}
		last, lastName = now, step
		if req.Stage != nil && step != "" {
			req.Stage(step)
		}
	}
	defer stage("")
	profHash := profileHash(req.Profile)

	// The same file at the same path, untouched since it loaded: nothing
	// to read. Any doubt (no fingerprint) goes the long way, by content.
	var fp *fingerprint
	if f, err := takeFingerprint(req.Path); err == nil {
		fp = &f
		if !req.DryRun {
			if seen, err := seenByFingerprint(ctx, c, req.Source.Name, req.name(), profHash, f); err != nil {
				return nil, err
			} else if seen != nil {
				return seen.result(res), nil
			}
		}
	}

	stage("preparing file")
	prep, err := Prepare(req.Path, req.Profile, req.TempDir)
	var fileErr *FileError
	if errors.As(err, &fileErr) {
		fileErr.File = req.name()
		return rejectWhole(ctx, c, req, res, prep, profHash, fp, fileErr, start)
	}
	if err != nil {
		if prep != nil {
			prep.Close()
		}
		return nil, err
	}
	defer prep.Close()
	res.Encoding, res.Header = prep.Encoding, prep.HeaderLine

	if !req.DryRun {
		if seen, err := alreadySeen(ctx, c, req.Source.Name, prep.Hash, profHash); err != nil {
			return nil, err
		} else if seen != nil {
			return seen.result(res), nil
		}
	}

	cols, err := mapColumns(req.Profile, prep, req.Config, req.name())
	if errors.As(err, &fileErr) {
		fileErr.File = req.name()
		return rejectWhole(ctx, c, req, res, prep, profHash, fp, fileErr, start)
	}
	if err != nil {
		return nil, err
	}
	res.DroppedColumns, res.DroppedBecause, res.UnknownColumns, res.MissingColumns = cols.dropped, cols.droppedBecause, cols.unknown, cols.missingOptional
	res.Mapping = cols.describe(req.Profile.StudentIDWidth)

	l := &loader{ctx: ctx, q: c, req: req, prep: prep, cols: cols, res: res, stage: stage, skipReasons: map[string]int64{}, fp: fp, blocks: 1}
	defer l.dropScratch(c)
	// The staging work is scratch and runs before the transaction; only the
	// warehouse writes are inside it. raw must be: a transaction gives the
	// rows it creates provisional rowids, and raw's rowid is the record's
	// place in the file.
	if err := l.stageFile(); err != nil {
		if errors.As(err, &fileErr) { // a joined file that cannot be read
			fileErr.File = req.name()
			return rejectWhole(ctx, c, req, res, prep, profHash, fp, fileErr, start)
		}
		return nil, fmt.Errorf("load %s: %w", req.name(), err)
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("load %s: begin: %w", req.name(), err)
	}
	defer tx.Rollback()
	l.q = tx
	stage("applying " + req.Source.LoadMode)
	if err := l.write(); err != nil {
		return nil, fmt.Errorf("load %s: applying %s: %w", req.name(), req.Source.LoadMode, err)
	}
	res.Status = StatusLoaded
	if res.Loaded == 0 && res.Rejected > 0 {
		// Nothing of the file could load: a failed file a person must see,
		// not a load. Its rejects are kept, to say why.
		res.Status = StatusRejected
		res.Message = fmt.Sprintf("every data row was rejected (%d of %d rows read; the first: %s)", res.Rejected, res.Read, firstReject(res.Rejects))
	}
	res.Elapsed = time.Since(start)
	if err := l.record(profHash, start); err != nil {
		return nil, fmt.Errorf("load %s: record: %w", req.name(), err)
	}
	if req.DryRun {
		return res, nil // rolled back by the deferred Rollback
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("load %s: commit: %w", req.name(), err)
	}
	return res, nil
}

// earlier is a previous load of the same bytes by the same source under the
// same profile.
type earlier struct {
	fileID  int64
	at      time.Time
	status  string
	message string
}

// result reports the earlier load: a loaded file has nothing to do; a file
// rejected whole stays rejected, and is reported so every run until the
// file or its profile changes.
func (e *earlier) result(res *Result) *Result {
	res.FileID, res.SeenAt = e.fileID, e.at
	when := e.at.Local().Format("2006-01-02 15:04")
	if e.status == StatusRejected {
		res.Status = StatusRejected
		res.Message = fmt.Sprintf("rejected before (file #%d, %s) and unchanged since: %s", e.fileID, when, e.message)
		return res
	}
	res.Status = StatusSeen
	res.Message = fmt.Sprintf("already loaded (file #%d, %s); nothing to do", e.fileID, when)
	return res
}

// alreadySeen finds an earlier load of the same bytes by the same source
// under the same profile, or nil.
func alreadySeen(ctx context.Context, c conn, source, hash, profHash string) (*earlier, error) {
	var e earlier
	var msg sql.NullString
	err := c.QueryRowContext(ctx, `SELECT file_id, started_at, status, message FROM files
		WHERE source = ? AND content_hash = ? AND profile_hash = ? AND status IN ('loaded', 'rejected')
		ORDER BY file_id DESC LIMIT 1`, source, hash, profHash).Scan(&e.fileID, &e.at, &e.status, &msg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up earlier loads: %w", err)
	}
	e.message = msg.String
	return &e, nil
}

// rejectWhole records a file that could not be read at all.
func rejectWhole(ctx context.Context, c *sql.Conn, req Request, res *Result, prep *Prepared, profHash string, fp *fingerprint, fe *FileError, start time.Time) (*Result, error) {
	res.Status, res.Message = StatusRejected, fe.Reason
	res.Elapsed = time.Since(start)
	if prep != nil {
		defer prep.Close()
		res.Encoding, res.Header = prep.Encoding, prep.HeaderLine
	}
	if req.DryRun || prep == nil {
		return res, nil
	}
	if seen, err := alreadySeen(ctx, c, req.Source.Name, prep.Hash, profHash); err != nil {
		return nil, err
	} else if seen != nil {
		return seen.result(res), nil
	}
	modified, quick := fp.columns()
	err := c.QueryRowContext(ctx, `INSERT INTO files (file_id, source, kind, provider, path, content_hash, size_bytes,
		profile, profile_hash, load_mode, status, message, encoding, header_line, started_at, finished_at, modified_us, quick_hash)
		VALUES (nextval('file_ids'), ?, ?, ?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?, ?, ?, ?, ?, ?) RETURNING file_id`,
		req.Source.Name, req.Source.Kind, nullable(req.Source.Provider), req.name(), prep.Hash, prep.Size,
		req.Profile.Name, profHash, req.Source.LoadMode, fe.Reason, prep.Encoding, prep.HeaderLine, start, req.Now(), modified, quick).Scan(&res.FileID)
	if err != nil {
		return nil, fmt.Errorf("record rejected file %s: %w", req.name(), err)
	}
	return res, nil
}

func firstReject(rs []Reject) string {
	if len(rs) == 0 {
		return "see hitreflect rejects"
	}
	return rs[0].String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func profileHash(p profile.Profile) string {
	b, _ := json.Marshal(p.Profile)
	return fmt.Sprintf("%x", sha256Sum(b))[:16]
}

// loader holds one file's load in progress.
type loader struct {
	ctx   context.Context
	q     conn // the connection, then the file's transaction
	req   Request
	prep  *Prepared
	cols  *columnMap
	res   *Result
	stage func(string)
	fp    *fingerprint // nil when the file could not be fingerprinted

	fileID            int64
	structural        []int64 // lines DuckDB could not split into the header's columns
	structuralRejects []Reject
	footerRows        []int64 // raw rowids of footer records
	dataRows          int64   // rows of raw before the footer
	blocks            int64   // rows of raw per record: a wide layout's blocks, else 1
	anyDropped        bool    // dropped has rows
	skipReasons       map[string]int64
}

func (l *loader) exec(query string, args ...any) error {
	if _, err := l.q.ExecContext(l.ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return nil
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i > 0 {
		q = q[:i]
	}
	if len(q) > 60 {
		q = q[:60] + "…"
	}
	return q
}

func (l *loader) count(query string, args ...any) (int64, error) {
	var n sql.NullInt64
	if err := l.q.QueryRowContext(l.ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return n.Int64, nil
}

// stageFile reads the file into scratch tables and sorts its rows into
// good, bad (with reasons), skipped and duplicate.
func (l *loader) stageFile() error {
	steps := []struct {
		name string
		fn   func() error
	}{
		{"reading rows", l.readRaw},
		{"reading values", l.parseValues},
		{"checking rows", l.buildTyped},
		{"finding rejects", l.findRejects},
		{"finding duplicates", l.stageRows},
	}
	for _, s := range steps {
		l.stage(s.name)
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	l.res.SkipReasons = l.skipReasons
	return nil
}

// write makes the file's changes to the warehouse, inside its transaction.
func (l *loader) write() error {
	if err := l.q.QueryRowContext(l.ctx, `SELECT nextval('file_ids')`).Scan(&l.fileID); err != nil {
		return err
	}
	l.res.FileID = l.fileID
	if err := l.addRejects(l.structuralRejects); err != nil {
		return err
	}
	return l.apply()
}

// readRaw reads the mapped columns of every record, as text, into raw. The
// columns the profile does not map (names, birth dates, anything else) are
// never materialised. A wide layout is read into raw_wide first, and raw
// gets one row per block of each record: raw's rowid is then record x
// blocks + block.
func (l *loader) readRaw() error {
	n := len(l.prep.Headers)
	colDefs := make([]string, n)
	for i := range colDefs {
		colDefs[i] = fmt.Sprintf("'c%d': 'VARCHAR'", i)
	}
	var sel []string
	if len(l.cols.blocks) > 0 {
		l.blocks = int64(len(l.cols.blocks))
		read := map[int]bool{}
		for _, f := range l.cols.fields {
			for _, i := range f.indexes {
				read[i] = true
			}
			for _, idx := range f.blockIndexes {
				for _, i := range idx {
					read[i] = true
				}
			}
		}
		for _, wu := range l.cols.where {
			for _, i := range wu.idx {
				read[i] = true
			}
		}
		for _, i := range slices.Sorted(maps.Keys(read)) {
			sel = append(sel, fmt.Sprintf("c%d", i))
		}
	} else {
		for _, f := range l.cols.fields {
			switch {
			case f.join >= 0:
				sel = append(sel, "CAST(NULL AS VARCHAR) AS "+rawCol(f.Name)) // filled by joinFiles
			case f.index >= 0:
				sel = append(sel, l.cellExpr(f.Name, f.indexes)+" AS "+rawCol(f.Name))
			}
		}
		for j, ju := range l.cols.joins {
			sel = append(sel, fmt.Sprintf(`%s AS "__join_key_%d"`, l.cellExpr("", ju.keyIdx), j))
		}
		for w, wu := range l.cols.where {
			if wu.join >= 0 {
				sel = append(sel, fmt.Sprintf(`CAST(NULL AS VARCHAR) AS "__where_%d"`, w))
			} else {
				sel = append(sel, fmt.Sprintf(`%s AS "__where_%d"`, l.cellExpr("", wu.idx), w))
			}
		}
	}
	if len(sel) == 0 {
		sel = []string{"c0"}
	}
	parallel := "true"
	if l.prep.QuotedNewlines {
		parallel = "false"
	}
	target := "raw"
	if len(l.cols.blocks) > 0 {
		target = "raw_wide"
	}
	_ = l.exec(`DROP TABLE IF EXISTS temp.raw_rejects`)
	_ = l.exec(`DROP TABLE IF EXISTS temp.raw_scans`)
	q := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS SELECT %s FROM read_csv(?,
		header = false, skip = ?, all_varchar = true, auto_detect = false,
		delim = ?, quote = '"', escape = '"', columns = {%s},
		null_padding = true, parallel = %s, ignore_errors = true, store_rejects = true,
		rejects_table = 'raw_rejects', rejects_scan = 'raw_scans', max_line_size = 10000000)`,
		target, strings.Join(sel, ", "), strings.Join(colDefs, ", "), parallel)
	if err := l.exec(q, l.prep.Path, l.prep.SkipRecords, string(l.prep.Delimiter)); err != nil {
		return err
	}
	// DuckDB may list one bad line more than once (once per problem in it).
	rows, err := l.q.QueryContext(l.ctx, `SELECT line, min(error_type), min(error_message) FROM raw_rejects GROUP BY line ORDER BY line`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var structural []Reject
	for rows.Next() {
		var line int64
		var typ, msg string
		if err := rows.Scan(&line, &typ, &msg); err != nil {
			return err
		}
		l.structural = append(l.structural, line)
		structural = append(structural, Reject{Line: line, Reason: structuralReason(typ, msg, len(l.prep.Headers))})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Records DuckDB rejected are not in raw: raw's rowid i is the i-th record
	// that is not. Footer records are found by line.
	kept := make(map[int]int64, len(l.prep.Footer))
	for _, f := range l.prep.Footer {
		kept[f.Line] = -1
	}
	structuralSet := map[int64]bool{}
	for _, s := range l.structural {
		structuralSet[s] = true
	}
	var rowid int64
	footerReason := map[int64]string{}
	for i := 0; i < l.prep.Records(); i++ {
		line := l.prep.LineOf(i)
		if structuralSet[int64(line)] {
			continue
		}
		if _, ok := kept[line]; ok {
			l.footerRows = append(l.footerRows, rowid)
			for _, f := range l.prep.Footer {
				if f.Line == line {
					footerReason[rowid] = f.Reason
				}
			}
		}
		rowid++
	}
	// A footer line DuckDB could not split is a skip, not a reject.
	for _, s := range structural {
		isFooter := false
		for _, f := range l.prep.Footer {
			if int64(f.Line) == s.Line {
				isFooter = true
				l.skipReasons[f.Reason]++
			}
		}
		if !isFooter {
			s.Record = int64(l.recordOfLine(int(s.Line)))
			l.structuralRejects = append(l.structuralRejects, s)
			l.res.Rejected++
		}
		l.res.Read++
	}
	for _, r := range footerReason {
		l.skipReasons[r]++
	}
	if len(l.cols.blocks) > 0 {
		return l.unpivot()
	}
	if err := l.joinFiles(); err != nil {
		return err
	}
	n64, err := l.count(`SELECT count(*) FROM raw`)
	if err != nil {
		return err
	}
	l.res.Read += n64
	l.res.Skipped += int64(len(l.footerRows))
	// Footer records are the last rows of raw.
	l.dataRows = n64 - int64(len(l.footerRows))
	return nil
}

// unpivot turns raw_wide (a record per row) into raw (a block of a record
// per row, in record then block order): a field of the blocks takes the
// block's column, a field a block's value sets takes that value, the other
// fields the record's own columns. Footer records are not unpivoted.
func (l *loader) unpivot() error {
	wide, err := l.count(`SELECT count(*) FROM raw_wide`)
	if err != nil {
		return err
	}
	records := wide - int64(len(l.footerRows))
	var sel []string
	for _, f := range l.cols.fields {
		switch {
		case f.index < 0:
			continue
		case len(f.blockSets) > 0:
			cases := make([]string, len(f.blockSets))
			for b, v := range f.blockSets {
				cases[b] = fmt.Sprintf("WHEN %d THEN %s", b, sqlString(v))
			}
			sel = append(sel, fmt.Sprintf("CASE b.blk %s END AS %s", strings.Join(cases, " "), rawCol(f.Name)))
		case f.blockIndexes != nil:
			var cases []string
			for b, idx := range f.blockIndexes {
				if len(idx) > 0 {
					cases = append(cases, fmt.Sprintf("WHEN %d THEN %s", b, l.cellExpr(f.Name, idx)))
				}
			}
			sel = append(sel, fmt.Sprintf("CASE b.blk %s END AS %s", strings.Join(cases, " "), rawCol(f.Name)))
		default:
			sel = append(sel, l.cellExpr(f.Name, f.indexes)+" AS "+rawCol(f.Name))
		}
	}
	for w, wu := range l.cols.where {
		sel = append(sel, fmt.Sprintf(`%s AS "__where_%d"`, l.cellExpr("", wu.idx), w))
	}
	if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE raw AS SELECT %s
		FROM (SELECT rowid AS src, * FROM raw_wide WHERE rowid < ?) w CROSS JOIN range(?) b(blk)
		ORDER BY w.src, b.blk`, strings.Join(sel, ", ")), records, l.blocks); err != nil {
		return err
	}
	_ = l.exec(`DROP TABLE IF EXISTS temp.raw_wide`)
	l.res.Read += wide + records*(l.blocks-1)
	l.res.Skipped += int64(len(l.footerRows))
	l.dataRows = records * l.blocks
	return nil
}

// joinFiles fills the fields a profile looks up in other files: each
// joined file is read (all text, one row per key: where a key has several
// rows, the least non-empty value of each column, so the answer does not
// depend on read order), and raw's rows take the values of their key. The key of a row
// is its first non-empty key column; of a comma-separated list, the first
// item (OneRoster's orgSourcedIds). An UPDATE keeps raw's rowids, which
// are the records' places in the file.
func (l *loader) joinFiles() error {
	for j, ju := range l.cols.joins {
		if ju.path == "" {
			continue // an optional file that is not there
		}
		cols, err := l.headersOf(ju.path)
		if err != nil {
			return &FileError{File: l.req.name(), Reason: fmt.Sprintf("the joined file %s cannot be read: %v", ju.File, err)}
		}
		has := func(h string) bool {
			return slices.ContainsFunc(cols, func(c string) bool { return strings.EqualFold(c, h) })
		}
		exact := func(h string) string {
			for _, c := range cols {
				if strings.EqualFold(c, h) {
					return c
				}
			}
			return h
		}
		if !has(ju.On) {
			return &FileError{File: l.req.name(), Reason: fmt.Sprintf("the joined file %s has no column %q (it has %s)", ju.File, ju.On, quoteList(cols, 30))}
		}
		var agg, set []string
		n := 0
		add := func(target, header string) error {
			if !has(header) {
				return &FileError{File: l.req.name(), Reason: fmt.Sprintf("the joined file %s has no column %q (it has %s)", ju.File, header, quoteList(cols, 30))}
			}
			agg = append(agg, fmt.Sprintf(`min(nullif(trim(%s), '')) AS v%d`, quoteIdent(exact(header)), n))
			set = append(set, fmt.Sprintf(`%s = j.v%d`, target, n))
			n++
			return nil
		}
		for _, f := range l.cols.fields {
			if f.join == j {
				if err := add(rawCol(f.Name), f.joinCol); err != nil {
					return err
				}
			}
		}
		for w, wu := range l.cols.where {
			if wu.join == j {
				if err := add(fmt.Sprintf(`"__where_%d"`, w), wu.joinCol); err != nil {
					return err
				}
			}
		}
		if n == 0 {
			continue
		}
		table := fmt.Sprintf(`"join_%d"`, j)
		if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS SELECT trim(%s) AS k, %s
			FROM read_csv(?, header = true, all_varchar = true, auto_detect = true, null_padding = true, strict_mode = false)
			WHERE nullif(trim(%s), '') IS NOT NULL GROUP BY 1`,
			table, quoteIdent(exact(ju.On)), strings.Join(agg, ", "), quoteIdent(exact(ju.On))), ju.path); err != nil {
			return fmt.Errorf("read the joined file %s: %w", ju.File, err)
		}
		if err := l.exec(fmt.Sprintf(`UPDATE raw SET %s FROM %s j WHERE j.k = trim(split_part(raw."__join_key_%d", ',', 1))`,
			strings.Join(set, ", "), table, j)); err != nil {
			return fmt.Errorf("join %s: %w", ju.File, err)
		}
		_ = l.exec(`DROP TABLE IF EXISTS temp.` + table)
	}
	return nil
}

// headersOf reads the header line of a joined CSV file.
func (l *loader) headersOf(path string) ([]string, error) {
	rows, err := l.q.QueryContext(l.ctx, `SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv(?, header = true, all_varchar = true, auto_detect = true, null_padding = true, strict_mode = false))`, path)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// cellExpr is the SQL for a field's raw text from the file's columns: the
// first that is not empty, with the profile's null values read as empty.
func (l *loader) cellExpr(field string, idx []int) string {
	nulls := append(slices.Clone(l.req.Profile.NullValues[field]), l.req.Profile.NullValues["*"]...)
	one := func(i int) string {
		c := fmt.Sprintf("c%d", i)
		if len(nulls) == 0 {
			return c
		}
		quoted := make([]string, len(nulls))
		for j, n := range nulls {
			quoted[j] = sqlString(strings.ToLower(values.Trim(n)))
		}
		return fmt.Sprintf("CASE WHEN lower(trim(%s)) IN (%s) THEN NULL ELSE %s END", c, strings.Join(quoted, ", "), c)
	}
	if len(idx) == 1 {
		return one(idx[0])
	}
	parts := make([]string, len(idx))
	for j, i := range idx {
		parts[j] = one(i)
		if j < len(idx)-1 {
			parts[j] = "nullif(trim(" + parts[j] + "), '')"
		}
	}
	return "coalesce(" + strings.Join(parts, ", ") + ")"
}

// sqlString quotes a text as an SQL literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// insertRows inserts values (width to a row) into table, many rows to a
// statement, with every value a placeholder.
func (l *loader) insertRows(table string, width int, values []any) error {
	const rowsPerStatement = 400
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for i := 0; i < len(values); i += width * rowsPerStatement {
		end := min(i+width*rowsPerStatement, len(values))
		rows := strings.TrimSuffix(strings.Repeat(row+", ", (end-i)/width), ", ")
		if err := l.exec(`INSERT INTO `+table+` VALUES `+rows, values[i:end]...); err != nil {
			return err
		}
	}
	return nil
}

// dropScratch frees the staging tables of the connection.
func (l *loader) dropScratch(c conn) {
	for _, t := range []string{"raw", "raw_wide", "raw_rejects", "raw_scans", "typed", "bad", "badrows", "dropped", "repeated", "changes", "line_offsets"} {
		_, _ = c.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp."+t)
	}
	for _, f := range l.cols.fields {
		_, _ = c.ExecContext(context.Background(), "DROP TABLE IF EXISTS temp."+mapTable(f.Name))
	}
}

// recordOfLine is the 1-based data record starting at line (0 if none);
// record start lines are in order, so a binary search finds it.
func (l *loader) recordOfLine(line int) int {
	lines := l.prep.dataLines
	i := sort.Search(len(lines), func(i int) bool { return int(lines[i]) >= line })
	if i < len(lines) && int(lines[i]) == line {
		return i + 1
	}
	return 0
}

func structuralReason(typ, msg string, columns int) string {
	switch typ {
	case "TOO MANY COLUMNS":
		return fmt.Sprintf("the row has more values than the header's %d columns (an unquoted delimiter inside a value?)", columns)
	case "UNQUOTED VALUE", "UNTERMINATED QUOTES":
		return "a quote is not closed or stray quotes surround a value: " + msg
	case "INVALID UNICODE":
		return "the row has bytes that are not valid text in the file's encoding"
	}
	return strings.ToLower(typ) + ": " + msg
}

func rawCol(field string) string    { return `"r_` + field + `"` }
func mapTable(field string) string  { return `"m_` + field + `"` }
func probCol(field string) string   { return `"` + field + `__problem"` }
func skipCol(field string) string   { return `"` + field + `__skip"` }
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// parseValues reads each distinct raw value of each parsed column in Go and
// keeps the results in a small table per column, joined back in buildTyped.
func (l *loader) parseValues() error {
	for _, f := range l.cols.fields {
		if f.index < 0 || !f.parsed {
			continue
		}
		p := profile.Reader{Kind: l.req.Source.Kind, Field: f.Field, Profile: l.req.Profile.Profile, Config: l.req.Config,
			SchoolByName: l.cols.schoolByName}
		rows, err := l.q.QueryContext(l.ctx, fmt.Sprintf(`SELECT %s, count(*) FROM raw WHERE %s IS NOT NULL GROUP BY ALL`, rawCol(f.Name), rawCol(f.Name)))
		if err != nil {
			return err
		}
		var distinct []string
		rowsOf := map[string]int64{}
		for rows.Next() {
			var s string
			var n int64
			if err := rows.Scan(&s, &n); err != nil {
				rows.Close()
				return err
			}
			distinct = append(distinct, s)
			rowsOf[s] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Strings(distinct)
		create := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s (raw VARCHAR, val %s, problem VARCHAR, skip VARCHAR, win VARCHAR, school_year VARCHAR, minutes DOUBLE, school_id VARCHAR)`,
			mapTable(f.Name), sqlType(f.Type))
		if err := l.exec(create); err != nil {
			return err
		}
		row := make([]any, 0, 8*len(distinct))
		for _, raw := range distinct {
			v := p.Read(raw)
			if v.Note != "" {
				l.res.Notes = append(l.res.Notes, fmt.Sprintf("%s (%d %s)", v.Note, rowsOf[raw], map[bool]string{true: "row", false: "rows"}[rowsOf[raw] == 1]))
			}
			row = append(row, raw, v.Value, nullable(v.Problem), nullable(v.Skip), nullable(v.Window), nullable(v.SchoolYear), v.Minutes, nullable(v.SchoolID))
		}
		if err := l.insertRows(mapTable(f.Name), 8, row); err != nil {
			return err
		}
	}
	return nil
}
