// Package connectortest is the conformance suite every connector passes.
//
// A connector's own test calls Run (or RunInPlace for a connector that
// returns files where they already are, like local) with a function that
// puts the given files in a fresh backend of its kind (a folder, an SFTP
// server's folder, an HTTPS server) and returns a connector reading them:
//
//	func TestConformance(t *testing.T) {
//		connectortest.Run(t, func(t *testing.T, files map[string][]byte) connectors.Connector {
//			... serve files, return a connector over them ...
//		})
//	}
//
// The suite checks: an empty source returns no paths and no error; files
// come back complete and byte-identical, in name order; a second fetch into
// the same staging folder replaces the first's files, with no stale or
// duplicate names; a cancelled context returns ctx.Err() promptly and leaves
// nothing behind; a fetch cancelled half way leaves no partial file; and odd
// names land inside the staging folder under safe names.
package connectortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/connectors"
)

// NewFunc builds a connector over a fresh backend holding files (remote
// name -> content). The backend must list files in name order, and for
// backends without listing (a list of URLs) in name order too. It may use
// t.Cleanup to stop what it started.
type NewFunc func(t *testing.T, files map[string][]byte) connectors.Connector

// fetchLimit bounds every Fetch the suite makes, so a hung connector fails
// the test with a message rather than the whole run.
const fetchLimit = 90 * time.Second

// Run checks a connector that downloads into the staging folder.
func Run(t *testing.T, newConnector NewFunc) { run(t, newConnector, false) }

// RunInPlace checks a connector that returns the files where they are and
// writes nothing into the staging folder.
func RunInPlace(t *testing.T, newConnector NewFunc) { run(t, newConnector, true) }

func run(t *testing.T, newConnector NewFunc, inPlace bool) {
	s := suite{new: newConnector, inPlace: inPlace}
	t.Run("EmptySource", s.emptySource)
	t.Run("FilesCompleteInNameOrder", s.filesComplete)
	t.Run("SecondFetchReplaces", s.secondFetchReplaces)
	t.Run("CancelledContext", s.cancelledContext)
	t.Run("CancelMidFetchLeavesNoPartialFile", s.cancelMidFetch)
	t.Run("OddNamesStayInside", s.oddNames)
}

type suite struct {
	new     NewFunc
	inPlace bool
}

func (s suite) fetch(t *testing.T, c connectors.Connector, dst string) ([]string, error) {
	t.Helper()
	return Fetch(t, c, dst)
}

// Fetch runs c.Fetch into dst with a time limit, failing the test if the
// limit is reached: a connector test never hangs.
func Fetch(t *testing.T, c connectors.Connector, dst string) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), fetchLimit)
	defer cancel()
	paths, err := c.Fetch(ctx, dst)
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("Fetch did not finish within %v", fetchLimit)
	}
	return paths, err
}

// ExpectEntries checks that dir holds exactly the named entries, in order
// (a missing dir holds none).
func ExpectEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

func (s suite) emptySource(t *testing.T) {
	t.Parallel()
	dst := t.TempDir()
	paths, err := s.fetch(t, s.new(t, map[string][]byte{}), dst)
	if err != nil || len(paths) != 0 {
		t.Fatalf("empty source: got %q, %v; want no paths and no error", paths, err)
	}
	expectDir(t, dst, nil)
}

func (s suite) filesComplete(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"b_2025-10.csv": []byte("student_id,minutes\r\n0042,30\r\n"),
		"a_2025-09.csv": []byte("student_id,minutes\n0007,25\n"),
		"c_large.csv":   random(3<<20+17, 1),
		"d_empty.csv":   {},
	}
	dst := t.TempDir()
	paths, err := s.fetch(t, s.new(t, files), dst)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	s.expectFiles(t, dst, paths, files)
	if !s.inPlace {
		expectDir(t, dst, Names(paths))
	}
}

func (s suite) secondFetchReplaces(t *testing.T) {
	t.Parallel()
	dst := t.TempDir()
	first := map[string][]byte{"a.csv": []byte("first a\n"), "b.csv": []byte("first b\n")}
	second := map[string][]byte{"a.csv": []byte("second a, longer than the first\n"), "c.csv": []byte("second c\n")}
	p1, err := s.fetch(t, s.new(t, first), dst)
	if err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	s.expectFiles(t, dst, p1, first)
	c2 := s.new(t, second)
	for round := 1; round <= 2; round++ {
		p2, err := s.fetch(t, c2, dst)
		if err != nil {
			t.Fatalf("second fetch, round %d: %v", round, err)
		}
		s.expectFiles(t, dst, p2, second)
		if s.inPlace {
			continue
		}
		if got, want := Names(p2), Names(p1); got[0] != want[0] {
			t.Errorf("the same remote name landed as %q, then as %q: a new fetch must replace, not duplicate", want[0], got[0])
		}
		// b.csv from the first fetch may stay (the staging folder is the
		// caller's), but nothing else: no a-2.csv, no temporary files.
		expectDir(t, dst, []string{filepath.Base(p1[0]), filepath.Base(p1[1]), filepath.Base(p2[1])})
	}
}

func (s suite) cancelledContext(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{"a.csv": []byte("a\n"), "b.csv": random(1<<20, 2)}
	c := s.new(t, files)
	dst := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	paths, err := c.Fetch(ctx, dst)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a cancelled fetch took %v to return", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fetch: got error %v, want context.Canceled", err)
	}
	if len(paths) != 0 {
		t.Errorf("cancelled fetch returned paths %q", paths)
	}
	expectDir(t, dst, nil)
}

// cancelMidFetch cancels as soon as something appears in the staging folder,
// which for a downloading connector is the first temporary file. Whether the
// fetch is caught mid-file or had already finished, the staging folder must
// hold only complete files under their final names.
func (s suite) cancelMidFetch(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{}
	for i := range 8 {
		files[fmt.Sprintf("part_%02d.csv", i)] = random(1<<20, uint64(10+i))
	}
	c := s.new(t, files)
	dst := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), fetchLimit)
	defer cancel()
	done := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if entries, _ := os.ReadDir(dst); len(entries) > 0 {
					cancel()
					return
				}
			}
		}
	}()
	start := time.Now()
	paths, err := c.Fetch(ctx, dst)
	took := time.Since(start)
	close(done)
	<-watcher
	switch {
	case err == nil:
		t.Logf("the fetch finished (%v) before the cancel landed", took)
		s.expectFiles(t, dst, paths, files)
	case errors.Is(err, context.Canceled):
		t.Logf("the fetch was cancelled mid-way after %v", took)
		if len(paths) != 0 {
			t.Errorf("cancelled fetch returned paths %q", paths)
		}
	default:
		t.Fatalf("fetch cancelled mid-way: got error %v, want context.Canceled", err)
	}
	if took > fetchLimit/2 {
		t.Errorf("fetch took %v", took)
	}
	// Whatever is in the staging folder is complete and has a final name.
	want := map[string][]byte{}
	for name, b := range files {
		want[connectors.SafeName(name)] = b
	}
	entries, _ := os.ReadDir(dst)
	for _, e := range entries {
		b, ok := want[e.Name()]
		if !ok {
			t.Errorf("staging folder holds %q after a cancelled fetch: a temporary or unexpected file", e.Name())
			continue
		}
		got, err := os.ReadFile(filepath.Join(dst, e.Name()))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("staging folder holds %q with %d bytes of %d: a partial file", e.Name(), len(got), len(b))
		}
	}
}

func (s suite) oddNames(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"with space.csv":   []byte("1\n"),
		"semi;colon.csv":   []byte("2\n"),
		"ünïcødé.csv":      []byte("3\n"),
		"dash-und_er.csv":  []byte("4\n"),
		"quote'd (1).csv":  []byte("5\n"),
		"percent%41ed.csv": []byte("6\n"),
	}
	dst := t.TempDir()
	paths, err := s.fetch(t, s.new(t, files), dst)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	s.expectFiles(t, dst, paths, files)
	if !s.inPlace {
		for _, p := range paths {
			if b := filepath.Base(p); b != connectors.SafeName(b) {
				t.Errorf("staged name %q is not a safe name (connectors.SafeName gives %q)", b, connectors.SafeName(b))
			}
		}
		expectDir(t, dst, Names(paths))
	}
}

// expectFiles checks paths against files: one per file, in name order,
// byte-identical, inside dst (or, in place, outside it and under their own names).
func (s suite) expectFiles(t *testing.T, dst string, paths []string, files map[string][]byte) {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(paths) != len(names) {
		t.Fatalf("fetch returned %d paths %q, want %d files %q", len(paths), paths, len(names), names)
	}
	for i, p := range paths {
		name := names[i]
		if !filepath.IsAbs(p) {
			t.Errorf("path %q is not absolute", p)
		}
		if s.inPlace {
			if filepath.Base(p) != name {
				t.Errorf("path %d is %q, want the file %q (in name order)", i, p, name)
			}
		} else if !connectors.Within(dst, p) || filepath.Dir(p) != filepath.Clean(dst) {
			t.Errorf("path %q is not directly inside the staging folder %s", p, dst)
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			continue
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("path %d %q: got %d bytes, want the %d bytes of %q (files come back complete, in name order)",
				i, p, len(got), len(files[name]), name)
		}
	}
}

// expectDir checks that dir holds exactly the named entries.
func expectDir(t *testing.T, dir string, names []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := slices.Clone(names)
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(got, want) {
		t.Errorf("staging folder holds %q, want %q (no temporary, stale or duplicate files)", got, want)
	}
}

// Names is the file names of paths.
func Names(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

// random is n reproducible bytes, digits with line breaks so it reads as text.
func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		x := r.Uint64()
		for j := i; j < i+8 && j < n; j++ {
			b[j] = '0' + byte(x%10)
			if x%41 == 40 {
				b[j] = '\n'
			}
			x >>= 8
		}
	}
	return b
}
