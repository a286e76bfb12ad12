package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// A full disk or a read-only file system stops a load wherever it comes
// from; a refused permission only when it is the warehouse's or the
// staging folder's, not a landing file that may not be read.
func TestEnvironmentFaultIsTheMachinesNotAFiles(t *testing.T) {
	t.Parallel()
	// The config names its warehouse folder relatively ("data"); DuckDB
	// names files absolutely; a landing path may hold "data" too.
	base, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	staging := t.TempDir()
	absData := filepath.Join(base, "data")
	landing := filepath.Join("landing", "data", "x.csv")
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("commit: Could not write file %q: No space left on device", filepath.Join(absData, "hitreflect.duckdb.wal")), true},
		{&fs.PathError{Op: "write", Path: landing, Err: syscall.ENOSPC}, true},
		{fmt.Errorf("IO Error: Cannot open file %q: Read-only file system", filepath.Join(absData, "x")), true},
		{fmt.Errorf("IO Error: Cannot open file %q: Permission denied", filepath.Join(absData, "hitreflect.duckdb.wal")), true},
		{&fs.PathError{Op: "open", Path: filepath.Join(staging, "a.csv"), Err: fs.ErrPermission}, true},
		{&fs.PathError{Op: "open", Path: landing, Err: fs.ErrPermission}, false},
		{errors.New(`missing required column "Student ID"`), false},
	} {
		if got := environmentFault(c.err, "data", staging); got != c.want {
			t.Errorf("%v: environmentFault = %v, want %v", c.err, got, c.want)
		}
	}
}
