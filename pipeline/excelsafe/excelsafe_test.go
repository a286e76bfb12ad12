package excelsafe

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"Lincoln Elementary":          "Lincoln Elementary",
		`=HYPERLINK("http://x","y")`:  `'=HYPERLINK("http://x","y")`,
		"+cmd|' /C calc'!A0":          "'+cmd|' /C calc'!A0",
		"-2+3+cmd|' /C calc'!A0":      "'-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
		"\t=1+1":                      "'\t=1+1",
		"\r=1+1":                      "'\r=1+1",
		"-":                           "'-",
		"-Inf":                        "'-Inf",
		"-0x1p3":                      "'-0x1p3",
		"-12":                         "-12",
		"-0.25":                       "-0.25",
		"+3":                          "+3",
		"-1.5e-3":                     "-1.5e-3",
		"-.5":                         "-.5",
		"12":                          "12",
		"a=b":                         "a=b",
		"Zoë's school":                "Zoë's school",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSV(t *testing.T) {
	var file, plain bytes.Buffer
	for _, c := range []*CSV{NewFileCSV(&file), NewCSV(&plain)} {
		if err := c.Write([]string{"school", "minutes"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Write([]string{"=1+1", "-30"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(file.String(), BOM) {
		t.Errorf("a file CSV must start with the byte-order mark: %q", file.String())
	}
	if strings.HasPrefix(plain.String(), BOM) {
		t.Errorf("standard output CSV must not: %q", plain.String())
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(file.String(), BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][0] != "'=1+1" || recs[1][1] != "-30" {
		t.Errorf("row = %q, want the formula neutralised and the number kept", recs[1])
	}
}

// A file lands whole or not at all: a failure half-way keeps the old file
// and leaves nothing beside it.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	if err := WriteFile(path, func(c *CSV) error { return c.Write([]string{"=1+1", "-3"}) }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != BOM+"'=1+1,-3\n" {
		t.Fatalf("file %q (%v), want the mark and the neutralised row", b, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	failed := errors.New("the query failed half-way")
	err = WriteFile(path, func(c *CSV) error {
		_ = c.Write([]string{"a new row"})
		return failed
	})
	if !errors.Is(err, failed) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want the write's, naming the file", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(b) {
		t.Errorf("a failed write changed the file: %q", after)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left beside it: %v", entries)
	}
}
