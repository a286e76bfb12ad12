package ingest

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/pipeline/warehouse"
	"github.com/hitreflect/hitreflect/values"
)

// Ids are trimmed in SQL (there are too many distinct ids to send through
// Go); the SQL must agree with values.Trim, which the other fields use.
func FuzzIDTrimMatchesGo(f *testing.F) {
	for _, seed := range []string{"00123", " 00123 ", "\u00a000123\u00a0", "\ufeff42", "42\u200b", "\t7\t", "a b", "", "  ", "é", "\u3000x"} {
		f.Add(seed)
	}
	wh, err := warehouse.Open(f.Context(), "")
	if err != nil {
		f.Fatal(err)
	}
	defer wh.Close()
	odd := &loader{prep: &Prepared{OddSpace: true}}
	plain := &loader{prep: &Prepared{}}
	qOdd := "SELECT " + odd.idExpr("CAST(? AS VARCHAR)")
	qPlain := "SELECT " + plain.idExpr("CAST(? AS VARCHAR)")
	f.Fuzz(func(t *testing.T, raw string) {
		if !isValidText(raw) {
			t.Skip() // DuckDB holds text as UTF-8; the loader transcodes first
		}
		want := values.Trim(raw)
		var got sql.NullString
		if err := wh.DB.QueryRow(qOdd, raw).Scan(&got); err != nil {
			t.Fatalf("trim %q: %v", raw, err)
		}
		if got.String != want {
			t.Errorf("SQL trims %q to %q, Go to %q", raw, got.String, want)
		}
		// Without odd spaces in the file, the plain trim must agree too.
		if !strings.ContainsAny(raw, "\ufeff\u200b\r\n\t") {
			if err := wh.DB.QueryRow(qPlain, raw).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got.String != want {
				t.Errorf("plain SQL trims %q to %q, Go to %q", raw, got.String, want)
			}
		}
	})
}

func isValidText(s string) bool {
	return strings.ToValidUTF8(s, "\ufffd") == s && !strings.ContainsRune(s, 0)
}
