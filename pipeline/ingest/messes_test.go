package ingest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Each mess of a real export gets a small file in testdata/ and the outcome
// the data person should see.
func TestMessyFilesLoad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file     string
		encoding string
		header   int
		read     int64
		loaded   int64
		skipped  int64
		check    string // a query whose rows must equal want
		want     []string
	}{
		{"plain.csv", "utf-8", 1, 3, 3, 0, `SELECT session_key, student_id, status, line FROM sessions ORDER BY 1`,
			[]string{"S1|000123|attended|2", "S2|000124|student_absent|3", "S3|000125|cancelled|4"}},
		{"bom_crlf.csv", "utf-8", 1, 3, 3, 0, `SELECT session_key, student_id, modality, line FROM sessions ORDER BY 1`,
			[]string{"S1|000123|in_person|2", "S2|000124|in_person|3", "S3|000125|virtual|4"}},
		{"utf16.txt", "utf-16le", 1, 3, 3, 0, `SELECT session_key, student_id, subject FROM sessions ORDER BY 1`,
			[]string{"S1|000123|math", "S2|000124|math", "S3|000125|ela"}},
		{"windows1252.csv", "windows-1252", 1, 3, 3, 0, `SELECT session_key, tutor_id FROM sessions ORDER BY 1`,
			[]string{"S1|Renée’s", "S2|T1", "S3|T2"}},
		{"quoted_newline.csv", "utf-8", 1, 3, 2, 0, `SELECT session_key, replace(tutor_id, chr(10), '\n'), line FROM sessions ORDER BY 1`,
			[]string{"S1|T1|2", `S2|T1\nsecond line|3`}},
		{"header_offset.csv", "utf-8", 4, 3, 3, 0, `SELECT session_key, line FROM sessions ORDER BY 1`,
			[]string{"S1|5", "S2|6", "S3|7"}},
		{"totals_row.csv", "utf-8", 1, 4, 3, 1, `SELECT count(*), sum(duration_minutes) FROM sessions`,
			[]string{"3|120"}},
		{"dates_durations.csv", "utf-8", 1, 7, 6, 0, `SELECT session_key, session_date, CAST(start_time AS VARCHAR), duration_minutes FROM sessions ORDER BY 1`,
			[]string{"D1|2025-09-03T00:00:00Z|NULL|45", "D2|2025-09-04T00:00:00Z|NULL|45", "D3|2025-09-05T00:00:00Z|NULL|65",
				"D4|2025-09-11T00:00:00Z|NULL|30", "D5|2025-09-09T00:00:00Z|NULL|30", "D6|2025-09-10T00:00:00Z|15:00:00|40"}},
		{"semicolons.csv", "utf-8", 1, 1, 1, 0, `SELECT session_key, student_id FROM sessions`, []string{"S1|1"}},
		{"names.csv", "utf-8", 1, 1, 1, 0, `SELECT student_id, session_date FROM sessions`,
			[]string{"0042|2025-09-03T00:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "")
			res := f.load("acme", "testdata/"+c.file)
			if res.Status != StatusLoaded {
				t.Fatalf("status %s: %s", res.Status, res.Message)
			}
			if res.Encoding != c.encoding || res.Header != c.header {
				t.Errorf("encoding %s header line %d, want %s and %d", res.Encoding, res.Header, c.encoding, c.header)
			}
			if res.Read != c.read || res.Loaded != c.loaded || res.Skipped != c.skipped {
				t.Errorf("read %d loaded %d skipped %d, want %d %d %d (rejects %v)", res.Read, res.Loaded, res.Skipped, c.read, c.loaded, c.skipped, res.Rejects)
			}
			if got := f.query(c.check); !slices.Equal(got, c.want) {
				t.Errorf("%s:\n got %q\nwant %q", c.check, got, c.want)
			}
			files := f.query(`SELECT rows_read, rows_loaded + rows_rejected + rows_duplicate + rows_skipped FROM files`)
			if len(files) != 1 || strings.Split(files[0], "|")[0] != strings.Split(files[0], "|")[1] {
				t.Errorf("files record does not reconcile: %v", files)
			}
		})
	}
}

func TestRejectsNameLineColumnValueAndReason(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	res := f.load("acme", "testdata/bad_rows.csv")
	if res.Read != 8 || res.Loaded != 1 || res.Rejected != 6 || res.Duplicate != 1 {
		t.Fatalf("read %d loaded %d rejected %d duplicate %d, want 8 1 6 1", res.Read, res.Loaded, res.Rejected, res.Duplicate)
	}
	got := f.query(`SELECT line, coalesce(column_name, ''), coalesce(value, ''), reason FROM rejects ORDER BY line`)
	want := []string{
		`3|session_date|13/45/2025|session_date "13/45/2025" is not a date hitreflect can read (expected e.g. 2025-09-03, 9/3/2025, 9/3/25, an Excel date number or a timestamp)`,
		`4|status|?|status "?" is not a known attendance code (known: 0, 1, a, absent, attended, attended session, c, canceled, cancelled, completed, cx, n, …; add it to status_values in the profile)`,
		`5|student_id||student_id is required but empty`,
		`6|duration_minutes|-5|duration_minutes "-5" is not a positive number of minutes`,
		`7|||the row has more values than the header's 11 columns (an unquoted delimiter inside a value?)`,
		`9|session_id|S1|the same session (S1) appears at line 2 with different values`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejects:\n got %q\nwant %q", got, want)
	}
}

func TestFileRejectedWhole(t *testing.T) {
	t.Parallel()
	cases := []struct{ file, want string }{
		{"missing_column.csv", `missing required column "student_id" (for student_id) (did you mean "StudentID"?)`},
		{"empty.csv", "the file is empty"},
		{"unclosed_quote.csv", "a quote opened on line 3 is never closed"},
		{"commas.tsv", `only one column was found, split on "\t": is that the file's delimiter?`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "")
			res := f.load("acme", "testdata/"+c.file)
			if res.Status != StatusRejected || !strings.Contains(res.Message, c.want) {
				t.Fatalf("status %s message %q, want rejected with %q", res.Status, res.Message, c.want)
			}
			if n := f.query(`SELECT count(*) FROM sessions`); n[0] != "0" {
				t.Errorf("a rejected file loaded %s rows", n[0])
			}
		})
	}
}

func TestLoadingTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	first := f.load("acme", "testdata/plain.csv")
	before := f.query(`SELECT * FROM sessions ORDER BY session_key`)
	second := f.load("acme", "testdata/plain.csv")
	if second.Status != StatusSeen || second.FileID != first.FileID {
		t.Fatalf("second load: %s (file #%d), want already loaded as #%d", second.Status, second.FileID, first.FileID)
	}
	if after := f.query(`SELECT * FROM sessions ORDER BY session_key`); !slices.Equal(before, after) {
		t.Errorf("second load changed sessions")
	}
	if n := f.query(`SELECT count(*) FROM files`); n[0] != "1" {
		t.Errorf("files has %s rows, want 1", n[0])
	}
}

const modeSources = `
  - {name: snap, kind: sessions, provider: acme, connector: {type: local, path: x}, profile: canonical-sessions, load_mode: snapshot}
  - {name: app, kind: sessions, provider: acme, connector: {type: local, path: x}, profile: canonical-sessions, load_mode: append}
`

func TestLoadModes(t *testing.T) {
	t.Parallel()
	h := "session_id,student_id,session_date,duration_minutes,status\n"
	t.Run("upsert replaces by key", func(t *testing.T) {
		f := newFixture(t, modeSources)
		f.load("acme", write(t, "a.csv", h+"S1,1,2025-09-03,30,attended\nS2,2,2025-09-03,30,attended\n"))
		r := f.load("acme", write(t, "b.csv", h+"S1,1,2025-09-03,30,attended\nS2,2,2025-09-03,30,student_absent\nS3,3,2025-09-04,30,attended\n"))
		if r.New != 1 || r.Changed != 1 || r.Unchanged != 1 {
			t.Errorf("new %d changed %d unchanged %d, want 1 1 1", r.New, r.Changed, r.Unchanged)
		}
		if got := f.query(`SELECT session_key, status FROM sessions ORDER BY 1`); !slices.Equal(got, []string{"S1|attended", "S2|student_absent", "S3|attended"}) {
			t.Errorf("sessions %v", got)
		}
	})
	t.Run("snapshot removes what the provider no longer lists", func(t *testing.T) {
		f := newFixture(t, modeSources)
		f.load("snap", write(t, "a.csv", h+"S1,1,2025-09-03,30,attended\nS2,2,2025-09-04,30,attended\nS9,9,2025-10-01,30,attended\n"))
		r := f.load("snap", write(t, "b.csv", h+"S1,1,2025-09-03,30,attended\nS3,3,2025-09-05,30,attended\n"))
		if r.Removed != 1 {
			t.Errorf("removed %d, want 1 (S2; S9 is outside the file's dates)", r.Removed)
		}
		if got := f.query(`SELECT session_key FROM sessions ORDER BY 1`); !slices.Equal(got, []string{"S1", "S3", "S9"}) {
			t.Errorf("sessions %v", got)
		}
	})
	t.Run("snapshot keeps a rejected row's earlier version, without session ids", func(t *testing.T) {
		f := newFixture(t, modeSources)
		h := "student_id,session_date,start_time,duration_minutes,status\n"
		f.load("snap", write(t, "a.csv", h+"1,2025-09-03,15:00,30,attended\n2,2025-09-03,15:00,30,attended\n3,2025-09-03,16:00,30,attended\n"))
		r := f.load("snap", write(t, "b.csv", h+"1,2025-09-03,15:00,30,attended\n2,2025-09-03,15:00,30,?\n"))
		if r.Removed != 1 || r.Rejected != 1 {
			t.Errorf("removed %d rejected %d, want 1 (student 3) and 1", r.Removed, r.Rejected)
		}
		if got := f.query(`SELECT student_id, status FROM sessions ORDER BY 1`); !slices.Equal(got, []string{"1|attended", "2|attended"}) {
			t.Errorf("sessions %v", got)
		}
	})
	t.Run("append rejects a key already loaded", func(t *testing.T) {
		f := newFixture(t, modeSources)
		f.load("app", write(t, "a.csv", h+"S1,1,2025-09-03,30,attended\n"))
		r := f.load("app", write(t, "b.csv", h+"S1,1,2025-09-03,45,attended\nS2,2,2025-09-03,30,attended\n"))
		if r.Loaded != 1 || r.Rejected != 1 || !strings.Contains(r.Rejects[0].Reason, "already loaded from file #1 (line 2)") {
			t.Errorf("loaded %d rejected %d %v", r.Loaded, r.Rejected, r.Rejects)
		}
	})
}

// A layout with start and end times and no duration column (and no session id).
func TestDurationFromStartAndEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t, `profiles:
  startend:
    kind: sessions
    date_format: 1/2/06
    time_format: 3:04 PM
    columns: {student_id: LASID, session_date: Date, start_time: Begin, end_time: End, status: Status}
`)
	f.cfg.Sources[0].Profile = "startend"
	res := f.load("acme", write(t, "s.tsv", "LASID\tDate\tBegin\tEnd\tStatus\n0042\t9/3/25\t3:45 PM\t4:30 PM\tPresent\n0042\t9/4/25\t3:45 PM\t3:00 PM\tPresent\n"), "startend")
	if res.Loaded != 1 || res.Rejected != 1 {
		t.Fatalf("loaded %d rejected %d, want 1 and 1: %v", res.Loaded, res.Rejected, res.Rejects)
	}
	if got := f.query(`SELECT session_key, duration_minutes FROM sessions`); !slices.Equal(got, []string{"0042|2025-09-03|15:45:00||45"}) {
		t.Errorf("sessions %v", got)
	}
	if want := "end time 3:00 PM is not after start time 3:45 PM"; res.Rejects[0].Reason != want {
		t.Errorf("reject %q, want %q", res.Rejects[0].Reason, want)
	}
}

// A load stopped part-way through its writes leaves the warehouse as it was.
func TestInterruptedLoadLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	src, _ := f.cfg.Source("acme")
	prof, _ := f.set.Get(src.Profile)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Load(ctx, f.conn, Request{Config: f.cfg, Source: *src, Profile: prof, Path: "testdata/bad_rows.csv", TempDir: t.TempDir(),
		Stage: func(step string) {
			if step == "writing rows" { // the rejects are written; the rows are next
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("load returned %v, want it cancelled", err)
	}
	// Cancelling may close the pinned connection; look through a new one.
	conn, err := f.wh.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f.conn = conn
	for _, table := range []string{"sessions", "rejects", "files", "schools", "students"} {
		if n := f.query(`SELECT count(*) FROM ` + table); n[0] != "0" {
			t.Errorf("%s has %s rows after an interrupted load", table, n[0])
		}
	}
	// And the file loads whole afterwards.
	if res := f.load("acme", "testdata/bad_rows.csv"); res.Loaded != 1 || res.Rejected != 6 {
		t.Errorf("reload: loaded %d rejected %d", res.Loaded, res.Rejected)
	}
}

// Without a window column, the window and school year come from the test
// date and the calendar; a date in no window is a reject that says so.
func TestWindowFromTestDate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	res := f.load("tests", write(t, "a.csv", "student_id,assessment,subject,test_date,scale_score\n1,map_growth,math,2025-09-15,201\n1,map_growth,math,2026-01-20,207\n1,map_growth,math,2025-11-10,204\n"))
	if res.Loaded != 2 || res.Rejected != 1 {
		t.Fatalf("loaded %d rejected %d: %v", res.Loaded, res.Rejected, res.Rejects)
	}
	if got := f.query(`SELECT school_year, "window", scale_score FROM assessments ORDER BY test_date`); !slices.Equal(got, []string{"2025-26|fall|201", "2025-26|winter|207"}) {
		t.Errorf("assessments %v", got)
	}
	if want := "the file gives no window and test_date 2025-11-10 falls in no testing window of the calendar"; res.Rejects[0].Reason != want || res.Rejects[0].Line != 4 {
		t.Errorf("reject %+v, want line 4: %s", res.Rejects[0], want)
	}
}

// A file rejected whole stays reported as rejected on later runs, and an
// empty file is recorded like any other.
func TestRejectedFileIsReportedAgain(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"testdata/missing_column.csv", "testdata/empty.csv"} {
		f := newFixture(t, "")
		first := f.load("acme", file)
		again := f.load("acme", file)
		if first.Status != StatusRejected || again.Status != StatusRejected || again.FileID != first.FileID ||
			!strings.Contains(again.Message, "rejected before") || !strings.Contains(again.Message, first.Message) {
			t.Errorf("%s: first %s #%d %q, again %s #%d %q", file, first.Status, first.FileID, first.Message, again.Status, again.FileID, again.Message)
		}
		if n := f.query(`SELECT count(*) FROM files WHERE status = 'rejected'`); n[0] != "1" {
			t.Errorf("%s: %s rejected files recorded, want 1", file, n[0])
		}
	}
}
