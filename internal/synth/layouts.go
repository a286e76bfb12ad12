package synth

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Session layouts, one per provider. Each writes the same session facts in
// its provider's own way: headers, delimiter, encoding, line endings, date,
// time and duration formats and attendance codes differ.

const (
	headerBrightpath = "Session ID,Student ID,School Code,Session Date,Start Time,Minutes,Attendance,Tutor ID,Group Size,Mode,Subject"
	headerLearnwell  = "LASID\tTutor\tCampus\tDate\tBegin\tEnd\tStatus\tSubject Area\tFormat"
	headerTutorcorps = "session_uid,student_number,school,date,duration,attendance_code,tutor,group_size,modality,subject"
)

// layout is one provider's file format.
type layout struct {
	name   string
	prov   int
	ext    string
	eol    string
	bom    bool
	delim  byte
	header string
	// titleLines come before the header (tutorcorps); the header is on line len(titleLines)+1.
	titleLines func(generated string) []string
	// footer is the totals line after the data (brightpath), or "" for none.
	footer func(rows int64) string
}

func layoutByName(name string) (*layout, error) {
	switch name {
	case "brightpath":
		return &layout{name: name, prov: provBrightpath, ext: ".csv", eol: "\n", delim: ',', header: headerBrightpath,
			footer: func(rows int64) string { return "TOTAL SESSIONS," + strconv.FormatInt(rows, 10) }}, nil
	case "learnwell":
		return &layout{name: name, prov: provLearnwell, ext: ".tsv", eol: "\r\n", delim: '\t', header: headerLearnwell}, nil
	case "tutorcorps":
		return &layout{name: name, prov: provTutorcorps, ext: ".csv", eol: "\r\n", bom: true, delim: ',', header: headerTutorcorps,
			titleLines: func(generated string) []string {
				return []string{"TutorCorps Session Export", "Generated " + generated}
			}}, nil
	}
	return nil, fmt.Errorf("unknown session layout %q (known: brightpath, learnwell, tutorcorps)", name)
}

// SessionLayouts lists the layout names WriteSessionFile and SessionProfileYAML accept.
func SessionLayouts() []string { return []string{"brightpath", "learnwell", "tutorcorps"} }

// headerLine is the 1-based line of the header.
func (l *layout) headerLine() int {
	if l.titleLines == nil {
		return 1
	}
	return len(l.titleLines("")) + 1
}

// writePreamble writes the BOM, title lines and header.
func (l *layout) writePreamble(w *bufio.Writer, generated string) {
	if l.bom {
		w.WriteString("\ufeff")
	}
	if l.titleLines != nil {
		for _, t := range l.titleLines(generated) {
			w.WriteString(t)
			w.WriteString(l.eol)
		}
	}
	w.WriteString(l.header)
	w.WriteString(l.eol)
}

// rowCtx is what one data row says.
type rowCtx struct {
	seq       int64 // provider-wide session number (session ids)
	studentID string
	schoolID  string
	s         *session
	status    int // the status this version of the row shows
}

// formatter writes rows of one layout.
type formatter struct {
	lay    *layout
	cal    *calendar
	tutors [][]byte // tutor ids in the file's encoding
	uidKey uint64
}

func newFormatter(lay *layout, cal *calendar, tutors []string, seed uint64) (*formatter, error) {
	f := &formatter{lay: lay, cal: cal, uidKey: seed}
	enc := charmap.Windows1252.NewEncoder()
	for _, t := range tutors {
		b := []byte(t)
		if lay.name == "learnwell" {
			var err error
			if b, err = enc.Bytes(b); err != nil {
				return nil, fmt.Errorf("encode tutor %q as windows-1252: %w", t, err)
			}
		}
		f.tutors = append(f.tutors, b)
	}
	return f, nil
}

var learnwellStatus = [4]string{"Present", "Absent", "Tutor Absent", "Tutor Cancelled"}
var tutorcorpsStatus = [4]string{"1", "0", "TA", "CX"}

const hexDigits = "0123456789abcdef"

func appendHex(dst []byte, v uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

func appendPad(dst []byte, v int64, width int) []byte {
	var tmp [20]byte
	b := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// appendRow appends one data row, without the line ending.
func (f *formatter) appendRow(dst []byte, rc *rowCtx) []byte {
	s, c := rc.s, f.cal
	switch f.lay.prov {
	case provBrightpath:
		dst = append(dst, "BP"...)
		dst = appendPad(dst, rc.seq, 8)
		dst = append(dst, ',')
		dst = append(dst, rc.studentID...)
		dst = append(dst, ',')
		dst = append(dst, rc.schoolID...)
		dst = append(dst, ',')
		dst = append(dst, c.us[s.day]...)
		dst = append(dst, ',')
		dst = append(dst, c.hhmm[s.startMin]...)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(s.dur), 10)
		dst = append(dst, ',', "PATC"[rc.status], ',')
		dst = append(dst, f.tutors[s.tutor]...)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(s.group), 10)
		if s.inPerson {
			dst = append(dst, ",In Person,"...)
		} else {
			dst = append(dst, ",Virtual,"...)
		}
		if s.subj == subjMath {
			dst = append(dst, "Math"...)
		} else {
			dst = append(dst, "ELA"...)
		}
	case provLearnwell:
		dst = append(dst, rc.studentID...)
		dst = append(dst, '\t')
		dst = append(dst, f.tutors[s.tutor]...)
		dst = append(dst, '\t')
		dst = append(dst, rc.schoolID...)
		dst = append(dst, '\t')
		dst = append(dst, c.short[s.day]...)
		dst = append(dst, '\t')
		dst = append(dst, c.ampm[s.startMin]...)
		dst = append(dst, '\t')
		dst = append(dst, c.ampm[s.startMin+s.dur]...)
		dst = append(dst, '\t')
		if rc.status == stStudentAbsent && s.noShow {
			dst = append(dst, "No Show"...)
		} else {
			dst = append(dst, learnwellStatus[rc.status]...)
		}
		if s.subj == subjMath {
			dst = append(dst, "\tMathematics\t"...)
		} else {
			dst = append(dst, "\tReading\t"...)
		}
		if s.inPerson {
			dst = append(dst, "In-Person"...)
		} else {
			dst = append(dst, "Online"...)
		}
	default:
		a, b := mix(uint64(rc.seq), f.uidKey), mix(uint64(rc.seq), f.uidKey+1)
		dst = appendHex(dst, a>>32, 8)
		dst = append(dst, '-')
		dst = appendHex(dst, a>>16, 4)
		dst = append(dst, '-')
		dst = appendHex(dst, a, 4)
		dst = append(dst, '-')
		dst = appendHex(dst, b>>48, 4)
		dst = append(dst, '-')
		dst = appendHex(dst, b, 12)
		dst = append(dst, ',')
		dst = append(dst, rc.studentID...)
		dst = append(dst, ',')
		dst = append(dst, rc.schoolID...)
		dst = append(dst, ',')
		dst = append(dst, c.iso[s.day]...)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(s.dur/60), 10)
		dst = append(dst, ':', byte('0'+s.dur%60/10), byte('0'+s.dur%10), ',')
		dst = append(dst, tutorcorpsStatus[rc.status]...)
		dst = append(dst, ',')
		dst = append(dst, f.tutors[s.tutor]...)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(s.group), 10)
		if s.inPerson {
			dst = append(dst, ",onsite,"...)
		} else {
			dst = append(dst, ",remote,"...)
		}
		if s.subj == subjMath {
			dst = append(dst, "math"...)
		} else {
			dst = append(dst, "literacy"...)
		}
	}
	return dst
}

// badSpec is one planted bad row: a valid row with one column spoiled.
type badSpec struct {
	column, value, problem string
}

// badSpecs are the bad rows each provider's files carry, in a fixed order.
func badSpecs(prov int) []badSpec {
	switch prov {
	case provBrightpath:
		return []badSpec{
			{"Session Date", "13/45/2025", "impossible date"},
			{"Attendance", "?", "unknown status code"},
			{"Minutes", "-30", "negative minutes"},
			{"Student ID", "", "empty student id"},
			{"Session Date", "02/30/2026", "impossible date"},
			{"Attendance", "X", "unknown status code"},
			{"Minutes", "forty-five", "non-numeric minutes"},
			{"Student ID", "", "empty student id"},
			{"Session Date", "09/31/2025", "impossible date"},
			{"Attendance", "", "empty status"},
			{"Minutes", "", "empty minutes"},
			{"Session Date", "", "empty date"},
		}
	case provLearnwell:
		return []badSpec{
			{"Date", "13/45/25", "impossible date"},
			{"Status", "?", "unknown status code"},
			{"End", "TBD", "end time is not a time"},
			{"LASID", "", "empty student id"},
			{"Date", "2/30/26", "impossible date"},
			{"Status", "Excused", "unknown status code"},
			{"Begin", "25:00 PM", "impossible start time"},
			{"LASID", "", "empty student id"},
		}
	default:
		return []badSpec{
			{"date", "2025-13-45", "impossible date"},
			{"attendance_code", "?", "unknown status code"},
			{"duration", "-1:00", "negative duration"},
			{"student_number", "", "empty student id"},
			{"date", "2026-02-30", "impossible date"},
			{"duration", "abc", "non-numeric duration"},
		}
	}
}

// badRow formats a valid row and spoils one column.
func (f *formatter) badRow(rc *rowCtx, b badSpec) []byte {
	row := f.appendRow(nil, rc)
	cols := strings.Split(f.lay.header, string(f.lay.delim))
	fields := bytes.Split(row, []byte{f.lay.delim})
	for i, c := range cols {
		if c == b.column {
			fields[i] = []byte(b.value)
		}
	}
	return bytes.Join(fields, []byte{f.lay.delim})
}

// SessionProfileYAML returns the profile (the body under profiles.<name>) that
// reads a layout's files, or "" for an unknown layout.
func SessionProfileYAML(layout string) string {
	switch layout {
	case "brightpath":
		return `# BrightPath Tutoring: one CSV per month, UTF-8; the last line is "TOTAL SESSIONS,<n>".
kind: sessions
delimiter: ","
encoding: utf-8
header_line: 1
skip_footer: 1
date_format: "01/02/2006"
time_format: "15:04"
columns:
  session_id: Session ID
  student_id: Student ID
  school_id: School Code
  session_date: Session Date
  start_time: Start Time
  duration_minutes: Minutes
  status: Attendance
  tutor_id: Tutor ID
  group_size: Group Size
  modality: Mode
  subject: Subject
status_values:
  "P": attended
  "A": student_absent
  "T": tutor_absent
  "C": cancelled
modality_values:
  "In Person": in_person
  "Virtual": virtual
subject_values:
  "Math": math
  "ELA": ela
`
	case "learnwell":
		return `# LearnWell: one tab-separated file per month, Windows-1252, CRLF. No session id
# (the key is derived from student, date, start time and subject) and no
# duration column (it is End minus Begin).
kind: sessions
delimiter: "\t"
encoding: windows-1252
header_line: 1
date_format: "1/2/06"
time_format: "3:04 PM"
columns:
  student_id: LASID
  tutor_id: Tutor
  school_id: Campus
  session_date: Date
  start_time: Begin
  end_time: End
  status: Status
  subject: Subject Area
  modality: Format
status_values:
  "Present": attended
  "Absent": student_absent
  "No Show": student_absent
  "Tutor Absent": tutor_absent
  "Tutor Cancelled": cancelled
subject_values:
  "Mathematics": math
  "Reading": ela
modality_values:
  "In-Person": in_person
  "Online": virtual
`
	case "tutorcorps":
		return `# TutorCorps: a cumulative "all sessions to date" CSV, UTF-8 with a BOM, CRLF,
# two title lines above the header; durations written h:mm.
kind: sessions
delimiter: ","
encoding: utf-8
header_line: 3
date_format: "2006-01-02"
columns:
  session_id: session_uid
  student_id: student_number
  school_id: school
  session_date: date
  duration_minutes: duration
  status: attendance_code
  tutor_id: tutor
  group_size: group_size
  modality: modality
  subject: subject
status_values:
  "1": attended
  "0": student_absent
  "TA": tutor_absent
  "CX": cancelled
subject_values:
  "math": math
  "literacy": ela
modality_values:
  "onsite": in_person
  "remote": virtual
`
	}
	return ""
}

// WriteSessionFile writes a standalone session file of exactly rows data rows
// in a provider's layout, the same way the demo district's files are written
// (header, title lines, BOM, encoding, line endings, footer), with every row
// valid and every natural key unique. The same seed gives the same bytes.
// It streams: memory does not grow with rows.
func WriteSessionFile(w io.Writer, layoutName string, rows int, seed int64) error {
	if rows < 0 {
		return fmt.Errorf("write session file: rows must be zero or more, got %d", rows)
	}
	lay, err := layoutByName(layoutName)
	if err != nil {
		return fmt.Errorf("write session file: %w", err)
	}
	if seed == 0 {
		seed = 1
	}
	useed := uint64(seed)
	wd := newWorld(12, 6000, useed)
	f, err := newFormatter(lay, wd.cal, wd.tutors[lay.prov], useed)
	if err != nil {
		return fmt.Errorf("write session file: %w", err)
	}
	var served []int
	for si := range wd.schools {
		if wd.pool[lay.prov][si][1] > 0 {
			served = append(served, si)
		}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	lay.writePreamble(bw, "2026-06-05 23:10")
	pcg := rand.NewPCG(useed, 0)
	r := rand.New(pcg)
	spcg := rand.NewPCG(useed, 0)
	sr := rand.New(spcg)
	buf := make([]byte, 0, 256)
	var written int64
	rc := rowCtx{}
	emit := func(s *session) {
		if written >= int64(rows) {
			return
		}
		rc.s, rc.status = s, s.status
		rc.seq = written + 1
		buf = f.appendRow(buf[:0], &rc)
		buf = append(buf, lay.eol...)
		bw.Write(buf)
		written++
	}
	for k := 0; written < int64(rows); k++ {
		pcg.Seed(useed, mix(uint64(k), 0xbe4c))
		rc.studentID = benchStudentID(k)
		si := served[r.IntN(len(served))]
		rc.schoolID = wd.schools[si].id
		pl := wd.newPlan(r, lay.prov, si, r.IntN(2), 0, mix(uint64(k), 0xbe4d))
		wd.runPlan(spcg, sr, useed, &pl, nil, emit)
	}
	if lay.footer != nil {
		bw.WriteString(lay.footer(written))
		bw.WriteString(lay.eol)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write session file: %w", err)
	}
	return nil
}

// benchStudentID is a unique 6-digit id (some with leading zeros) for the
// k-th student of a benchmark file; past a million students ids get longer.
func benchStudentID(k int) string {
	v := (int64(k%1000000)*7919 + 123457) % 1000000
	id := string(appendPad(nil, v, 6))
	if k >= 1000000 {
		id = strconv.Itoa(k/1000000) + id
	}
	return id
}
