package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestWriteRecords(t *testing.T) {
	week := time.Date(2025, 9, 8, 0, 0, 0, 0, time.UTC)
	tb := &Table{Family: "engagement", Period: "year",
		From: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
		Columns: []string{"school", "week", "ell", "students_served", "attendance_rate"},
		Rows: []Row{
			{Values: []any{"101", week, true, int64(42), 0.875}, N: 42},
			{Values: []any{"102", week, false, nil, nil}, Suppressed: "fewer than 10 students"},
			{Values: []any{nil, nil, nil, int64(50), math.NaN()}, N: 50, Total: true},
		},
		Note: "a note"}
	var buf bytes.Buffer
	if err := WriteRecords(&buf, []*Table{tb}, false); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &recs); err != nil {
		t.Fatalf("not a JSON array of records: %v\n%s", err, buf.String())
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	want := []map[string]any{
		{"family": "engagement", "period": "year", "from": "2025-07-01", "to": "2026-06-30", "school": "101", "week": "2025-09-08",
			"ell": true, "students_served": 42.0, "attendance_rate": 0.875, "n": 42.0, "withheld": nil, "total": false, "note": "a note"},
		{"family": "engagement", "period": "year", "from": "2025-07-01", "to": "2026-06-30", "school": "102", "week": "2025-09-08",
			"ell": false, "students_served": nil, "attendance_rate": nil, "n": nil, "withheld": "fewer than 10 students", "total": false, "note": "a note"},
		{"family": "engagement", "period": "year", "from": "2025-07-01", "to": "2026-06-30", "school": nil, "week": nil,
			"ell": nil, "students_served": 50.0, "attendance_rate": nil, "n": 50.0, "withheld": nil, "total": true, "note": "a note"},
	}
	for i := range want {
		if len(recs[i]) != len(want[i]) {
			t.Errorf("record %d has %d fields, want %d: %v", i, len(recs[i]), len(want[i]), recs[i])
		}
		for k, v := range want[i] {
			if got, ok := recs[i][k]; !ok || got != v {
				t.Errorf("record %d %s = %#v, want %#v", i, k, got, v)
			}
		}
	}
	// Fields keep the table's order, for a reader of the raw text.
	first := buf.String()[:strings.Index(buf.String(), "}")]
	order := []string{`"family"`, `"period"`, `"from"`, `"to"`, `"school"`, `"week"`, `"ell"`, `"students_served"`, `"attendance_rate"`, `"n"`, `"withheld"`, `"total"`, `"note"`}
	last := -1
	for _, k := range order {
		at := strings.Index(first, k)
		if at <= last {
			t.Errorf("field %s out of order in %s", k, first)
		}
		last = at
	}

	buf.Reset()
	if err := WriteRecords(&buf, []*Table{tb}, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl: %d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["family"] != "engagement" {
			t.Errorf("jsonl line %d is not a record: %v %s", i+1, err, l)
		}
	}

	buf.Reset()
	if err := WriteRecords(&buf, nil, false); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("no tables: %q, %v; want []", buf.String(), err)
	}
}
