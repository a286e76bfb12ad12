package synth

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// outFile is one data file being written, with what was planted in it.
type outFile struct {
	rel        string
	kind       string
	provider   string
	f          *os.File
	w          *bufio.Writer
	eol        string
	headerLine int
	line       int   // physical lines written so far
	rows       int64 // data rows written (every line between header and footer)
	footer     func(rows int64) string
	pending    []pendingBad // bad rows still to insert, by position
	truth      FileTruth
}

type pendingBad struct {
	at   int64 // insert before the data row with this 0-based index (or at the end)
	row  []byte
	spec badSpec
}

func createOut(dir, rel, kind, provider string) (*outFile, error) {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create folder for %s: %w", rel, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", rel, err)
	}
	o := &outFile{rel: rel, kind: kind, provider: provider, f: f, w: bufio.NewWriterSize(f, 1<<16), eol: "\n", headerLine: 1}
	o.truth = FileTruth{Path: rel, Kind: kind, Provider: provider}
	return o, nil
}

// preamble records lines written before the data (BOM, titles, header).
func (o *outFile) preamble(lines int) { o.line += lines }

// row writes one data row (without its line ending).
func (o *outFile) row(b []byte) {
	o.insertPending(false)
	o.w.Write(b)
	o.w.WriteString(o.eol)
	o.line++
	o.rows++
}

func (o *outFile) insertPending(all bool) {
	for len(o.pending) > 0 && (all || o.pending[0].at <= o.rows) {
		p := o.pending[0]
		o.pending = o.pending[1:]
		o.w.Write(p.row)
		o.w.WriteString(o.eol)
		o.line++
		o.rows++
		o.truth.BadRows = append(o.truth.BadRows, BadRow{Line: o.line, Column: p.spec.column, Value: p.spec.value, Problem: p.spec.problem})
	}
}

// close writes the remaining bad rows and the footer, and closes the file.
func (o *outFile) close() error {
	o.insertPending(true)
	if o.footer != nil {
		o.w.WriteString(o.footer(o.rows))
		o.w.WriteString(o.eol)
		o.truth.FooterLines = 1
	}
	o.truth.HeaderLine = o.headerLine
	o.truth.DataRows = o.rows
	o.truth.PlantedBadRows = len(o.truth.BadRows)
	if o.truth.BadRows == nil {
		o.truth.BadRows = []BadRow{}
	}
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", o.rel, err)
	}
	return nil
}

// abort closes the file after a failure, ignoring errors.
func (o *outFile) abort() { _ = o.f.Close() }
