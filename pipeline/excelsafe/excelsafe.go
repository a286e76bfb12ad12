// Package excelsafe writes cells the way spreadsheet programs should show
// them: as written. A text cell that starts like a formula (=, +, -, @, a
// tab or a carriage return) would run as one when the file is opened in
// Excel, LibreOffice or Google Sheets: a provider named
// `=HYPERLINK("http://...")`, or a value copied from a vendor file into the
// rejects, could open a link or start a program (CSV injection, OWASP).
// Such cells get a leading apostrophe, which spreadsheets show as text;
// numbers, negative ones included, stay numbers. CSV files written to disk
// start with a UTF-8 byte-order mark, without which Excel on Windows reads
// accented names as mojibake.
package excelsafe

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// BOM is the UTF-8 byte-order mark that tells Excel a CSV file is UTF-8.
const BOM = "\ufeff"

// number is a plain decimal number, as a spreadsheet reads one.
var number = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// Text gives a text cell a spreadsheet shows as written: one that would
// start a formula is prefixed with an apostrophe, unless it is a number.
func Text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if number.MatchString(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// CSV is a csv.Writer whose every field goes through Text.
type CSV struct {
	w   *csv.Writer
	rec []string
}

// NewCSV writes CSV to w for output read by programs (standard output):
// plain UTF-8, cells neutralised.
func NewCSV(w io.Writer) *CSV { return &CSV{w: csv.NewWriter(w)} }

// NewFileCSV writes a CSV file people open in a spreadsheet: it starts with
// the byte-order mark, cells neutralised. An error writing the mark shows
// in Error and Flush, as csv.Writer's do.
func NewFileCSV(w io.Writer) *CSV {
	c := NewCSV(w)
	_, err := io.WriteString(w, BOM)
	if err != nil {
		c.w = csv.NewWriter(errWriter{err})
	}
	return c
}

// Write writes one record.
func (c *CSV) Write(record []string) error {
	c.rec = c.rec[:0]
	for _, f := range record {
		c.rec = append(c.rec, Text(f))
	}
	return c.w.Write(c.rec)
}

// Flush writes what is buffered and returns the first error.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// Error reports an error from a previous Write or Flush.
func (c *CSV) Error() error { return c.w.Error() }

type errWriter struct{ err error }

func (e errWriter) Write([]byte) (int, error) { return 0, e.err }

// WriteFile writes a CSV file for a spreadsheet at path (owner-only): write
// fills it through a CSV that starts with the byte-order mark. The file is
// written beside path and renamed into place when complete, so a failure
// half-way leaves the old file, or none, never half a file.
func WriteFile(path string, write func(*CSV) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	c := NewFileCSV(f)
	if err := write(c); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
