package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/values"
)

// Prepared is a file made ready for DuckDB's CSV reader: UTF-8, its header
// found, and every data record's line number known so rejects can name it.
type Prepared struct {
	Original   string // the file as received
	Path       string // the UTF-8 file DuckDB reads (the original, or a transcoded copy)
	Hash       string // SHA-256 of the original bytes
	Size       int64
	Encoding   string
	Delimiter  byte
	HeaderLine int // 1-based line of the header
	// SkipRecords is how many records DuckDB's reader must skip to pass the
	// header. Since DuckDB 1.2 its skip option counts blank lines as records
	// (a quoted line break still makes one record).
	SkipRecords int
	Headers     []string
	// QuotedNewlines is set when a quoted value spans lines; DuckDB's parallel
	// reader cannot pad short rows then, so the read goes single-threaded.
	QuotedNewlines bool
	// OddSpace is set when the file may hold zero-width spaces, byte-order
	// marks past its start or line breaks inside quotes, which DuckDB's plain
	// trim leaves on ids.
	OddSpace bool
	// HasTab is set when the file has a tab anywhere (in a TSV, the delimiter).
	HasTab bool
	// dataLines[i] is the line where data record i (after the header) starts.
	dataLines []int32
	// blanksBefore[i] counts the blank lines above record i (first records only).
	blanksBefore []int32
	// Sheets lists a workbook's sheets, for messages.
	Sheets []string
	// Sheet is the sheet read.
	Sheet string
	// unclosedQuote is the line of a quote that is never closed, if any.
	unclosedQuote int
	// Footer are the trailing records that are not data (totals, notes).
	Footer []FooterRecord
	temp   string
	// JoinDir holds the files a profile's join: reads: the folder of the
	// file, or where its zip bundle was unpacked.
	JoinDir   string
	bundleDir string // an unpacked zip bundle, removed on Close
}

// FooterRecord is a trailing record skipped on purpose.
type FooterRecord struct {
	Record int // 0-based data record index
	Line   int
	Reason string
}

// Records is the number of data records after the header.
func (p *Prepared) Records() int { return len(p.dataLines) }

// LineOf is the line where data record i starts.
func (p *Prepared) LineOf(i int) int {
	if i < 0 || i >= len(p.dataLines) {
		return 0
	}
	return int(p.dataLines[i])
}

// Close removes any transcoded copy or unpacked bundle.
func (p *Prepared) Close() error {
	var err error
	if p.temp != "" {
		err = os.Remove(p.temp)
	}
	if p.bundleDir != "" {
		err = errors.Join(err, os.RemoveAll(p.bundleDir))
	}
	return err
}

// FileError is a file that cannot be read at all; it is rejected whole.
type FileError struct {
	File   string
	Reason string
}

func (e *FileError) Error() string { return e.File + ": " + e.Reason }

const headerSearchRecords = 50

// Prepare reads path once to hash it, settle its encoding and find its
// records; a file that is not UTF-8 is transcoded in tempDir and scanned
// again. Then it finds the header and the footer.
func Prepare(path string, p profile.Profile, tempDir string) (*Prepared, error) {
	if p.Bundle != "" && strings.EqualFold(filepath.Ext(path), ".zip") {
		return prepareBundle(path, p, tempDir)
	}
	prep := &Prepared{Original: path, Path: path, JoinDir: filepath.Dir(path)}
	declared := p.Encoding
	if isWorkbook(path) {
		declared = "" // a workbook is zip bytes: no text encoding to find
	}
	enc, err := prep.hashAndDetect(path, declared)
	var fe *FileError
	if errors.As(err, &fe) {
		return prep, err // hashed, so the rejection can be recorded
	}
	if err != nil {
		return nil, err
	}
	prep.Encoding = enc
	if isWorkbook(path) {
		// A workbook is read as the CSV of its sheet; the hash stays the workbook's.
		csvPath, sheet, sheets, err := workbookToCSV(path, p.Sheet, tempDir)
		prep.Sheet, prep.Sheets = sheet, sheets
		if err != nil {
			return prep, err
		}
		prep.Path, prep.temp, prep.Encoding = csvPath, csvPath, "xlsx"
		if err := prep.scan(); err != nil {
			prep.Close()
			return nil, err
		}
	} else if dec := decoderFor(enc); dec != nil {
		if err := prep.transcode(dec, tempDir); err != nil {
			return nil, err
		}
		if err := prep.scan(); err != nil {
			prep.Close()
			return nil, err
		}
	}
	if prep.unclosedQuote > 0 {
		return prep, &FileError{File: path, Reason: fmt.Sprintf(
			"a quote opened on line %d is never closed, so everything after it would read as one value; fix or remove that quote", prep.unclosedQuote)}
	}
	if err := prep.findHeader(p); err != nil {
		return prep, err // the caller records the rejection, then closes
	}
	prep.findFooter(p)
	return prep, nil
}

// hashAndDetect hashes the file and decides its encoding: a byte-order mark
// decides; otherwise valid UTF-8 is UTF-8 and anything else is taken for
// Windows-1252, what Excel writes as "CSV" on US Windows.
func (p *Prepared) hashAndDetect(path, declared string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err // names the file already
	}
	defer f.Close()
	h := sha256.New()
	r := bufio.NewReaderSize(f, 1<<20)
	head, _ := r.Peek(4)
	bom := ""
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		bom = "utf-8"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		bom = "utf-16le"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		bom = "utf-16be"
	case len(head) >= 4 && head[1] == 0 && head[3] == 0 && head[0] != 0:
		bom = "utf-16le" // Excel "Unicode text" without a mark
	}
	valid := true
	var carry []byte
	buf := make([]byte, 1<<20)
	// The same pass finds the records, good if the file needs no transcoding.
	scanner := newRecordScanner()
	for {
		n, err := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if bom == "" || bom == "utf-8" {
				scanner.feed(buf[:n])
			}
			p.Size += int64(n)
			if valid && !strings.HasPrefix(bom, "utf-16") {
				chunk := append(carry, buf[:n]...)
				// Hold back an incomplete rune at the end of the chunk.
				cut := len(chunk)
				for i := 1; i <= 3 && i <= len(chunk); i++ {
					if utf8.RuneStart(chunk[len(chunk)-i]) {
						if !utf8.FullRune(chunk[len(chunk)-i:]) {
							cut = len(chunk) - i
						}
						break
					}
				}
				valid = utf8.Valid(chunk[:cut])
				carry = append(carry[:0], chunk[cut:]...)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", path, err)
		}
	}
	if len(carry) > 0 {
		valid = false
	}
	p.Hash = hex.EncodeToString(h.Sum(nil))
	p.takeScan(scanner)
	if p.Size == 0 {
		return "", &FileError{File: path, Reason: "the file is empty"}
	}
	switch strings.ToLower(declared) {
	case "windows-1252", "cp1252", "latin-1":
		return "windows-1252", nil
	case "utf-16":
		if bom == "utf-16be" {
			return bom, nil
		}
		return "utf-16le", nil
	case "utf-8", "utf8":
		if !valid {
			return "", &FileError{File: path, Reason: "the profile says UTF-8 but the file is not valid UTF-8 (leave encoding out to detect it)"}
		}
		return "utf-8", nil
	}
	switch {
	case bom != "":
		return bom, nil
	case valid:
		return "utf-8", nil
	default:
		return "windows-1252", nil
	}
}

func decoderFor(enc string) transform.Transformer {
	switch enc {
	case "windows-1252":
		return charmap.Windows1252.NewDecoder()
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()
	}
	return nil
}

func (p *Prepared) transcode(dec transform.Transformer, tempDir string) error {
	in, err := os.Open(p.Original)
	if err != nil {
		return err // names the file already
	}
	defer in.Close()
	out, err := os.CreateTemp(tempDir, "hitreflect-utf8-*.csv")
	if err != nil {
		return fmt.Errorf("transcode %s: %w", p.Original, err)
	}
	defer out.Close()
	p.temp = out.Name()
	w := bufio.NewWriterSize(out, 1<<20)
	if _, err := io.Copy(w, transform.NewReader(in, dec)); err != nil {
		return fmt.Errorf("transcode %s from %s: %w", p.Original, p.Encoding, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("transcode %s: %w", p.Original, err)
	}
	p.Path = out.Name()
	return nil
}

// recordScanner finds, quote-aware, the line where each record starts, as
// DuckDB's reader splits them: blank lines start no record.
type recordScanner struct {
	starts []int32
	// blanksBefore[i] counts the blank lines above record i, for the first
	// records (where the header is looked for): DuckDB's skip counts them.
	blanksBefore []int32
	blanks       int32
	line         int32
	inQuote      bool
	inRecord     bool
	first        bool
	quotedNL     bool
	quoteAt      int32 // line where the open quote started
	oddSpace     bool
	hasTab       bool
}

func newRecordScanner() *recordScanner { return &recordScanner{line: 1, first: true} }

func (s *recordScanner) feed(buf []byte) {
	chunk := buf
	if s.first {
		chunk = bytes.TrimPrefix(chunk, []byte{0xEF, 0xBB, 0xBF})
		s.first = false
	}
	// Zero-width spaces (E2 80 8B) and marks (EF BB BF): a sequence split
	// between two chunks is still caught by its first bytes.
	if !s.oddSpace && (bytes.IndexByte(chunk, 0xEF) >= 0 || bytes.Contains(chunk, []byte{0xE2, 0x80, 0x8B}) ||
		bytes.HasSuffix(chunk, []byte{0xE2}) || bytes.HasSuffix(chunk, []byte{0xE2, 0x80})) {
		s.oddSpace = true
	}
	if !s.hasTab && bytes.IndexByte(chunk, '\t') >= 0 {
		s.hasTab = true
	}
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		if s.inQuote {
			// Jump to the closing quote; count the line breaks on the way.
			j := bytes.IndexByte(buf[i:], '"')
			if j < 0 {
				n := bytes.Count(buf[i:], []byte{'\n'})
				s.line += int32(n)
				s.quotedNL = s.quotedNL || n > 0
				return
			}
			if n := bytes.Count(buf[i:i+j], []byte{'\n'}); n > 0 {
				s.line += int32(n)
				s.quotedNL = true
			}
			i += j
			s.inQuote = false
			continue
		}
		switch c {
		case '\n':
			if !s.inRecord {
				s.blanks++
			}
			s.line++
			s.inRecord = false
		case '\r':
		case '"':
			s.inQuote = true
			s.quoteAt = s.line
			fallthrough
		default:
			if !s.inRecord {
				s.inRecord = true
				s.starts = append(s.starts, s.line)
				if len(s.blanksBefore) < headerSearchRecords {
					s.blanksBefore = append(s.blanksBefore, s.blanks)
				}
			}
			if c != '"' {
				// Skip to the next quote or line break.
				j := indexQuoteOrNewline(buf[i:])
				if j < 0 {
					return
				}
				i += j - 1
			}
		}
	}
}

// indexQuoteOrNewline finds the first '"' or '\n' in b.
func indexQuoteOrNewline(b []byte) int {
	nl := bytes.IndexByte(b, '\n')
	limit := b
	if nl >= 0 {
		limit = b[:nl]
	}
	if q := bytes.IndexByte(limit, '"'); q >= 0 {
		return q
	}
	return nl
}

func (p *Prepared) takeScan(s *recordScanner) {
	p.unclosedQuote = 0 // a later scan (of a transcoded copy) replaces an earlier one
	if s.inQuote {
		p.unclosedQuote = int(s.quoteAt)
	}
	p.dataLines = s.starts // trimmed to the data records once the header is known
	p.blanksBefore = s.blanksBefore
	p.QuotedNewlines = s.quotedNL
	p.HasTab = s.hasTab
	// A quoted value may end in a line break, which ids are trimmed of too.
	p.OddSpace = s.oddSpace || s.quotedNL
}

// scan walks the (transcoded) UTF-8 file once.
func (p *Prepared) scan() error {
	f, err := os.Open(p.Path)
	if err != nil {
		return err // names the file already
	}
	defer f.Close()
	s := newRecordScanner()
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		s.feed(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", p.Path, err)
		}
	}
	p.takeScan(s)
	return nil
}

// findHeader picks the header record: the profile's header_line, or among the
// first records the one naming most of the profile's columns.
func (p *Prepared) findHeader(prof profile.Profile) error {
	head, err := readHead(p.Path, 256<<10)
	if err != nil {
		return err
	}
	p.Delimiter = sniffDelimiter(prof.Delimiter, p.Original, head)
	if p.Encoding == "xlsx" {
		p.Delimiter = ',' // the sheet was written as CSV here
	}
	r := csv.NewReader(bytes.NewReader(head))
	r.Comma = rune(p.Delimiter)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	wanted := map[string]bool{}
	for _, h := range profile.Headers(prof.Profile) {
		wanted[normalizeHeader(h)] = true
	}
	bestLine, bestScore, bestIndex := 0, -1, -1
	var bestHeaders []string
	for i := 0; i < headerSearchRecords; i++ {
		rec, err := r.Read()
		if err != nil {
			break // end of the head, or a ragged record: the header is above it
		}
		line, _ := r.FieldPos(0)
		score := 0
		for _, cell := range rec {
			if wanted[normalizeHeader(cell)] {
				score++
			}
		}
		if prof.HeaderLine > 0 {
			if line == prof.HeaderLine {
				bestLine, bestScore, bestIndex, bestHeaders = line, score, i, rec
				break
			}
			continue
		}
		if score > bestScore {
			bestLine, bestScore, bestIndex, bestHeaders = line, score, i, rec
		}
	}
	if bestIndex < 0 {
		if prof.HeaderLine > 0 {
			return &FileError{File: p.Original, Reason: fmt.Sprintf("the profile puts the header on line %d, but the file has no record starting there", prof.HeaderLine)}
		}
		return &FileError{File: p.Original, Reason: "no header found: the file has no readable records"}
	}
	for i := range bestHeaders {
		bestHeaders[i] = values.Trim(bestHeaders[i])
	}
	p.HeaderLine = bestLine
	p.Headers = bestHeaders
	if idx := indexOfLine(p.dataLines, int32(bestLine)); idx >= 0 {
		p.SkipRecords = idx + 1
		if idx < len(p.blanksBefore) {
			p.SkipRecords += int(p.blanksBefore[idx])
		}
		p.dataLines = p.dataLines[idx+1:]
	} else {
		p.dataLines = p.dataLines[:0]
	}
	return nil
}

func indexOfLine(lines []int32, line int32) int {
	for i, l := range lines {
		if l == line {
			return i
		}
		if l > line {
			break
		}
	}
	return -1
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // names the file already
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	buf = buf[:m]
	buf = bytes.TrimPrefix(buf, []byte{0xEF, 0xBB, 0xBF})
	if m == n { // drop the last, possibly cut, line
		if i := bytes.LastIndexByte(buf, '\n'); i > 0 {
			buf = buf[:i+1]
		}
	}
	return buf, nil
}

// sniffDelimiter takes the profile's delimiter, else the extension's, else
// the candidate seen most often in the first lines.
func sniffDelimiter(declared, name string, head []byte) byte {
	switch declared {
	case "\t", "tab":
		return '\t'
	case ",", ";", "|":
		return declared[0]
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".tsv", ".tab":
		return '\t'
	}
	lines := bytes.SplitN(head, []byte("\n"), 12)
	best, bestCount := byte(','), 0
	for _, d := range []byte{',', '\t', ';', '|'} {
		count := 0
		for _, l := range lines {
			count += bytes.Count(l, []byte{d})
		}
		if count > bestCount {
			best, bestCount = d, count
		}
	}
	return best
}

var spaces = regexp.MustCompile(`[\s_]+`)

// normalizeHeader lets "Student ID", "student_id " and "STUDENT  ID" match.
func normalizeHeader(h string) string {
	return spaces.ReplaceAllString(strings.ToLower(values.Trim(h)), " ")
}

var totalsLine = regexp.MustCompile(`(?i)^\s*(grand\s+)?(total|totals|sum|count)\b`)

// findFooter marks the profile's skip_footer records, and any of the last
// three records that is a totals line, as footer.
func (p *Prepared) findFooter(prof profile.Profile) {
	n := len(p.dataLines)
	skip := prof.SkipFooter
	if skip > n {
		skip = n
	}
	for i := n - skip; i < n; i++ {
		p.Footer = append(p.Footer, FooterRecord{Record: i, Line: p.LineOf(i), Reason: "footer line (skip_footer in the profile)"})
	}
	tail, err := p.readRecords(n-skip-3, n-skip)
	if err != nil {
		return
	}
	// Walk back from the end: totals lines sit at the very bottom.
	for i := len(tail) - 1; i >= 0; i-- {
		rec := tail[i]
		first := ""
		for _, cell := range rec.cells {
			if values.Trim(cell) != "" {
				first = cell
				break
			}
		}
		if !totalsLine.MatchString(first) {
			break
		}
		p.Footer = append(p.Footer, FooterRecord{Record: rec.index, Line: p.LineOf(rec.index), Reason: "totals line"})
	}
}

type rawRecord struct {
	index int
	cells []string
}

// readRecords parses data records [from, to) from the file (used for the few
// records at the end).
func (p *Prepared) readRecords(from, to int) ([]rawRecord, error) {
	if from < 0 {
		from = 0
	}
	if to <= from {
		return nil, nil
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Find the byte offset of line p.LineOf(from) by counting newlines.
	target := p.LineOf(from)
	br := bufio.NewReaderSize(f, 1<<20)
	line := 1
	for line < target {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return nil, err
		}
		_ = b
		line++
	}
	r := csv.NewReader(br)
	r.Comma = rune(p.Delimiter)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	var out []rawRecord
	for i := from; i < to; i++ {
		rec, err := r.Read()
		if err != nil {
			break
		}
		out = append(out, rawRecord{index: i, cells: rec})
	}
	return out, nil
}
