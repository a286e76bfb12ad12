package ingest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/profile"
)

// Fuzz targets for the parsers of outside input. scripts/fuzz runs each for
// a given time; a crash found is fixed with its input kept under
// testdata/fuzz/<target>, which go test then runs every time.

// Preparing any bytes as a file (encodings, delimiters, header search,
// footers) never panics; it gives a prepared file whose records have lines
// in order, or a FileError a person can read.
func FuzzPrepare(f *testing.F) {
	for _, seed := range []string{
		"session_id,student_id,session_date,duration_minutes,status\nS1,0042,2025-09-03,30,attended\n",
		"\ufeffa;b;c\r\n1;2;3\r\nTOTAL,3\r\n",
		"title line\n\nstudent_id\tstatus\n\"0042\n\"\tP\n",
		"\xff\xfea\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00",
		"a,\"unclosed\nb,c\n",
		"", "\n\n\n", "\x00\x00\x00",
	} {
		f.Add([]byte(seed), uint8(0))
	}
	prof := func(header uint8) profile.Profile {
		return profile.Profile{Name: "f", Profile: config.Profile{Kind: "sessions", HeaderLine: int(header % 4), SkipFooter: int(header / 64),
			Columns: config.Columns{"student_id": {"student_id"}, "status": {"status"}}}}
	}
	f.Fuzz(func(t *testing.T, data []byte, header uint8) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		prep, err := Prepare(path, prof(header), dir)
		if prep != nil {
			defer prep.Close()
		}
		var fe *FileError
		if errors.As(err, &fe) {
			if !utf8.ValidString(fe.Reason) || fe.Reason == "" {
				t.Fatalf("reason %q is not a sentence", fe.Reason)
			}
			return
		}
		if err != nil {
			t.Fatalf("not a FileError: %v", err)
		}
		last := 0
		for i := 0; i < prep.Records(); i++ {
			if l := prep.LineOf(i); l <= last || l <= prep.HeaderLine {
				t.Fatalf("record %d on line %d after line %d (header %d)", i, l, last, prep.HeaderLine)
			} else {
				last = l
			}
		}
	})
}

// Any bytes named .xlsx are read or rejected with a reason; never a panic.
func FuzzWorkbook(f *testing.F) {
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]any{"student_id", "status"})
	wb.SetSheetRow("Sheet1", "A2", &[]any{"0042", "attended"})
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		f.Fatal(err)
	}
	wb.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04 not a zip"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		csvPath, _, _, err := workbookToCSV(path, "", dir)
		var fe *FileError
		switch {
		case errors.As(err, &fe):
		case err != nil:
			t.Fatalf("not a FileError: %v", err)
		default:
			os.Remove(csvPath)
		}
	})
}
