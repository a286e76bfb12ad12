package local

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/connectors"
	"github.com/hitreflect/hitreflect/connectors/connectortest"
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
		"stable_for: expected seconds":             {"type": "local", "path": "x", "stable_for": -1},
		"stable_for: expected a number":            {"type": "local", "path": "x", "stable_for": "5s"},
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

func TestConformance(t *testing.T) {
	connectortest.RunInPlace(t, func(t *testing.T, files map[string][]byte) connectors.Connector {
		dir := t.TempDir()
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c, err := New(map[string]any{"type": "local", "path": dir}, "/")
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func TestFilesStillBeingWrittenWaitForTheNextRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	growing, done, old := filepath.Join(dir, "growing.csv"), filepath.Join(dir, "done.csv"), filepath.Join(dir, "old.csv")
	for _, p := range []string{growing, done, old} {
		if err := os.WriteFile(p, []byte("id\n1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	c, err := New(map[string]any{"type": "local", "path": dir, "stable_for": 5}, "/")
	if err != nil {
		t.Fatal(err)
	}
	lc := c.(*Connector)
	var waited time.Duration
	lc.sleep = func(_ context.Context, d time.Duration) error {
		waited = d
		// The provider's upload is still going while hitreflect waits.
		f, err := os.OpenFile(growing, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString("2\n")
		return err
	}
	got, err := c.Fetch(t.Context(), "")
	if want := []string{done, old}; err != nil || !slices.Equal(got, want) {
		t.Errorf("fetch %v (%v), want %v: the growing file waits for the next run", got, err, want)
	}
	if waited <= 0 || waited > 5*time.Second {
		t.Errorf("waited %v, want up to stable_for", waited)
	}

	// Once nothing was written for stable_for, every file loads, with no wait.
	for _, p := range []string{growing, done} {
		os.Chtimes(p, past, past)
	}
	waited = 0
	got, err = c.Fetch(t.Context(), "")
	if want := []string{done, growing, old}; err != nil || !slices.Equal(got, want) || waited != 0 {
		t.Errorf("fetch %v (%v, waited %v), want %v", got, err, waited, want)
	}
}

// A link that leads out of the landing folder, and a file over max_bytes,
// are refused unread; a link within the folder is followed.
func TestLinksOutOfTheFolderAndLargeFilesAreRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.csv")
	for p, body := range map[string]string{outside: "secret\n", filepath.Join(dir, "a.csv"): "ok\n", filepath.Join(dir, "big.csv"): strings.Repeat("x", 100)} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "evil.csv")); err != nil {
		t.Skipf("cannot make links here: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "a.csv"), filepath.Join(dir, "inside.csv")); err != nil {
		t.Fatal(err)
	}
	c, err := New(map[string]any{"path": dir, "pattern": "*.csv", "max_bytes": 50}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || filepath.Base(got[0]) != "a.csv" || filepath.Base(got[1]) != "inside.csv" {
		t.Errorf("fetched %v, want a.csv and the link within the folder", got)
	}
	refused := c.(connectors.Refuser).Refused()
	if len(refused) != 2 {
		t.Fatalf("refused %v", refused)
	}
	for _, r := range refused {
		switch filepath.Base(r.Path) {
		case "evil.csv":
			if !strings.Contains(r.Reason, "outside the landing folder") || !strings.Contains(r.Reason, outside) {
				t.Errorf("evil.csv: %s", r.Reason)
			}
		case "big.csv":
			if !strings.Contains(r.Reason, "100 bytes, more than max_bytes (50 bytes)") {
				t.Errorf("big.csv: %s", r.Reason)
			}
		default:
			t.Errorf("refused %s: %s", r.Path, r.Reason)
		}
	}
}
