package ingest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// A file untouched since it loaded is known by its fingerprint, without
// reading it through: a change in its middle that keeps its size and
// modification time goes unseen (the price of not reading), while any
// other change is read again by content.
func TestUnchangedFileKnownByFingerprint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	header := "session_id,student_id,tutor_id,school_id,session_date,start_time,duration_minutes,status,group_size,modality,subject\n"
	var rows []string
	for i := 0; i < 3000; i++ { // well over 2 x 64 KiB, so the middle is not hashed
		rows = append(rows, "S"+pad6(i)+",000123,T1,101,2025-09-03,15:30,45,attended,3,in person,math")
	}
	content := header + strings.Join(rows, "\n") + "\n"
	path := write(t, "sessions.csv", content)
	mtime := time.Date(2025, 9, 4, 6, 0, 0, 0, time.UTC)
	os.Chtimes(path, mtime, mtime)
	first := f.load("acme", path)
	if first.Status != StatusLoaded || first.Loaded != 3000 {
		t.Fatalf("first load: %s, %d loaded", first.Status, first.Loaded)
	}
	if got := f.query(`SELECT modified_us = ?, length(quick_hash) FROM files`, mtime.UnixMicro()); len(got) != 1 || got[0] != "true|32" {
		t.Fatalf("fingerprint recorded: %v", got)
	}

	// The middle changes, size and time kept: taken as the file loaded.
	mid := len(content) / 2
	changed := content[:mid] + strings.Replace(content[mid:], "math", "mATH", 1)
	os.WriteFile(path, []byte(changed), 0o600)
	os.Chtimes(path, mtime, mtime)
	if again := f.load("acme", path); again.Status != StatusSeen || again.FileID != first.FileID {
		t.Errorf("untouched by its fingerprint: %s (file #%d), want already loaded #%d", again.Status, again.FileID, first.FileID)
	}

	// Touched (a new modification time), same bytes: read, and found by content.
	later := mtime.Add(time.Hour)
	os.WriteFile(path, []byte(content), 0o600)
	os.Chtimes(path, later, later)
	if again := f.load("acme", path); again.Status != StatusSeen || again.FileID != first.FileID {
		t.Errorf("same bytes, new time: %s (file #%d), want already loaded #%d", again.Status, again.FileID, first.FileID)
	}

	// The first bytes change, time kept: the quick hash differs, so it loads.
	edited := strings.Replace(content, "S000000,", "S999999,", 1)
	os.WriteFile(path, []byte(edited), 0o600)
	os.Chtimes(path, mtime, mtime)
	if again := f.load("acme", path); again.Status != StatusLoaded {
		t.Errorf("first row edited: %s, want loaded", again.Status)
	}
}

func pad6(i int) string { return fmt.Sprintf("%06d", i) }
