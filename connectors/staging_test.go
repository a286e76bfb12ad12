package connectors

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSafeName(t *testing.T) {
	t.Parallel()
	cases := []struct{ remote, want string }{
		{"AssessmentResults_2025-09.csv", "AssessmentResults_2025-09.csv"},
		{"../../x.csv", "x.csv"},
		{`..\..\x.csv`, "x.csv"},
		{"/etc/passwd", "passwd"},
		{`C:\Windows\win.ini`, "win.ini"},
		{"..", "file"},
		{".", "file"},
		{"", "file"},
		{"dir/", "file"},
		{".hidden.csv", "hidden.csv"},
		{"...x.csv", "x.csv"},
		{"trailing. ", "trailing"},
		{"tab\there.csv", "tab_here.csv"},
		{"new\nline.csv", "new_line.csv"},
		{"nul\x00.csv", "nul_.csv"},
		{"bad\xff\xfe.csv", "bad__.csv"},
		{"pipe|star*q?.csv", "pipe_star_q_.csv"},
		{"ünïcødé résumé.csv", "ünïcødé résumé.csv"},
		{"Sessions (Oct) [final].csv", "Sessions (Oct) [final].csv"},
		{"a:b.csv", "a_b.csv"},
		{"~$lock.xlsx", "__lock.xlsx"},
	}
	for _, c := range cases {
		if got := SafeName(c.remote); got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.remote, got, c.want)
		}
	}
	long := strings.Repeat("é", 300) + ".csv"
	got := SafeName(long)
	if len(got) > maxNameBytes || !strings.HasSuffix(got, ".csv") || !strings.HasPrefix(got, "éé") {
		t.Errorf("long name became %q (%d bytes)", got, len(got))
	}
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"../../x.csv", `..\x`, "a/b/c.csv", "..", ".", "\xff", strings.Repeat("ab/", 100)} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, remote string) {
		n := SafeName(remote)
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, `/\`+"\x00") || strings.HasPrefix(n, ".") || len(n) > maxNameBytes {
			t.Fatalf("SafeName(%q) = %q", remote, n)
		}
		if p := filepath.Join(dir, n); !Within(dir, p) || filepath.Dir(p) != dir {
			t.Fatalf("SafeName(%q) = %q escapes the folder", remote, n)
		}
	})
}

func TestReserveKeepsNamesApart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := NewStaging(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, remote := range []string{"a/x.csv", "b/x.csv", "X.CSV", "../x.csv", "noext", "noext"} {
		got = append(got, filepath.Base(s.Reserve(remote)))
	}
	want := []string{"x.csv", "x-2.csv", "X-3.CSV", "x-4.csv", "noext", "noext-2"}
	if !slices.Equal(got, want) {
		t.Errorf("reserved %q, want %q", got, want)
	}
	// A new fetch into the same folder reuses the names, so it replaces.
	s2, _ := NewStaging(dir)
	if p := s2.Reserve("x.csv"); filepath.Base(p) != "x.csv" {
		t.Errorf("second fetch reserved %q", p)
	}
}

func TestWriteRenamesOnlyWhenComplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	final := filepath.Join(dir, "x.csv")
	if _, err := Write(t.Context(), final, func(w io.Writer) error {
		_, err := io.WriteString(w, "first\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A failed download leaves the earlier file as it was, and no temporary file.
	boom := errors.New("connection reset")
	if _, err := Write(t.Context(), final, func(w io.Writer) error {
		io.WriteString(w, "half of the sec")
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("failed fill: %v", err)
	}
	// A cancelled one stops writing and reports the cancel.
	ctx, cancel := context.WithCancel(t.Context())
	n, err := Write(ctx, final, func(w io.Writer) error {
		io.WriteString(w, "half")
		cancel()
		_, err := io.WriteString(w, "more")
		return err
	})
	if !errors.Is(err, context.Canceled) || n != 4 {
		t.Errorf("cancelled fill: %d bytes, %v", n, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "x.csv" {
		t.Errorf("folder holds %v", entries)
	}
	if b, _ := os.ReadFile(final); string(b) != "first\n" {
		t.Errorf("x.csv holds %q", b)
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"/stage/x.csv": true, "/stage/a/b": true, "/stage": false, "/stage/../x": false,
		"/stagex/y": false, "/other/x": false, "/stage/..x": true,
	} {
		if got := Within("/stage", p); got != want {
			t.Errorf("Within(/stage, %s) = %v", p, got)
		}
	}
}
