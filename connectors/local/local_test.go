package local

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFetchListsMatchingFilesInOrder(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "landing")
	os.MkdirAll(filepath.Join(dir, "sub.csv"), 0o700) // a folder is not a file
	for _, n := range []string{"b_2025-10.csv", "a_2025-09.csv", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	c, err := New(map[string]any{"type": "local", "path": "landing", "pattern": "*.csv"}, base)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Fetch(context.Background(), "")
	want := []string{filepath.Join(dir, "a_2025-09.csv"), filepath.Join(dir, "b_2025-10.csv")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("fetch %v (%v), want %v", got, err, want)
	}
}

func TestSettingsAreCheckedUpFront(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string]any{
		"path: expected a value":                   {"type": "local"},
		`pattern: "[" is not a valid file pattern`: {"type": "local", "path": "x", "pattern": "["},
		"patern: unknown setting":                  {"type": "local", "path": "x", "patern": "*.csv"},
	}
	for want, settings := range cases {
		if _, err := New(settings, "/"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: got %v, want %q", settings, err, want)
		}
	}
	c, _ := New(map[string]any{"type": "local", "path": "/nowhere/at/all"}, "/")
	if _, err := c.Fetch(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "landing folder /nowhere/at/all does not exist") {
		t.Errorf("missing folder: %v", err)
	}
}
