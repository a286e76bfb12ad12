package ingest

import (
	"os"
	"slices"
	"testing"
)

// Records are found the same whichever way the file is cut into chunks.
func TestRecordScannerChunkBoundaries(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"quoted_newline.csv", "header_offset.csv", "bom_crlf.csv", "totals_row.csv", "bad_rows.csv"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		whole := newRecordScanner()
		whole.feed(data)
		for size := 1; size <= 9; size++ {
			s := newRecordScanner()
			for i := 0; i < len(data); i += size {
				s.feed(data[i:min(i+size, len(data))])
			}
			if !slices.Equal(s.starts, whole.starts) || s.quotedNL != whole.quotedNL {
				t.Errorf("%s in chunks of %d: records at %v (quoted newline %v), whole file %v (%v)",
					name, size, s.starts, s.quotedNL, whole.starts, whole.quotedNL)
			}
		}
	}
	s := newRecordScanner()
	s.feed([]byte("a,b\n\n\"x\ny\",1\r\n\r\nlast"))
	if want := []int32{1, 3, 6}; !slices.Equal(s.starts, want) || !s.quotedNL {
		t.Errorf("records start on lines %v (quoted newline %v), want %v", s.starts, s.quotedNL, want)
	}
}
