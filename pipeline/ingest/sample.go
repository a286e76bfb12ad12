package ingest

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/profile"
)

// Sample is the start of a file as a profile would see it, for profile
// suggest: how it is written, its header, its first rows.
type Sample struct {
	Encoding   string
	Delimiter  byte
	HeaderLine int
	Headers    []string
	Rows       [][]string
	Records    int // data records in the whole file
}

// ReadSample prepares path as a load would (encoding, delimiter, workbook
// sheet), takes as its header the record among the first that names the
// most fields of kind, and reads up to maxRows rows after it.
func ReadSample(path, kind string, maxRows int, tempDir string) (*Sample, error) {
	prep, err := Prepare(path, profile.Profile{Profile: config.Profile{Kind: kind}}, tempDir)
	if err != nil {
		if prep != nil {
			prep.Close()
		}
		return nil, err
	}
	// Prepare with no columns to look for takes the first record; a title
	// or a blank line above the header is passed over by the field names.
	best, bestScore := prep.HeaderLine, profile.HeaderScore(kind, prep.Headers)
	f, err := os.Open(prep.Path)
	if err != nil {
		prep.Close()
		return nil, err
	}
	r := csv.NewReader(f)
	r.Comma = rune(prep.Delimiter)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	for i := 0; i < headerSearchRecords; i++ {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if sc := profile.HeaderScore(kind, rec); sc > bestScore {
			best, bestScore = func() int { l, _ := r.FieldPos(0); return l }(), sc
		}
	}
	f.Close()
	if best != prep.HeaderLine {
		prep.Close()
		prep, err = Prepare(path, profile.Profile{Profile: config.Profile{Kind: kind, HeaderLine: best}}, tempDir)
		if err != nil {
			if prep != nil {
				prep.Close()
			}
			return nil, err
		}
	}
	defer prep.Close()
	s := &Sample{Encoding: prep.Encoding, Delimiter: prep.Delimiter, HeaderLine: prep.HeaderLine, Headers: prep.Headers, Records: prep.Records()}
	recs, err := prep.readRecords(0, min(maxRows, prep.Records()))
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for _, rec := range recs {
		s.Rows = append(s.Rows, rec.cells)
	}
	return s, nil
}
