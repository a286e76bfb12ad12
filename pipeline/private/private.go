// Package private makes a folder readable by its owner only, for the
// warehouse and the research export, which hold record-level student data,
// and writes files that only their owner reads, whole.
// On Unix that is mode 0700. Windows ignores Unix modes (os.Chmod sets or
// clears only the read-only flag) and a new folder inherits its parent's
// access list, which under C:\ lets every local user read it; there the
// folder gets an access list of its own instead (see private_windows.go).
package private

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir makes the existing folder dir readable and writable by its owner
// only, together with whatever is created in it afterwards (on Windows,
// also what it already holds).
func Dir(dir string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("restrict %s: %w", dir, err)
	}
	if err := restrictACL(dir); err != nil {
		return fmt.Errorf("restrict %s to its owner: %w", dir, err)
	}
	return nil
}

// WriteFile writes data to path readable by its owner only, whole or not at
// all: it is written beside path and renamed into place, so a reader sees
// the last complete file or this one, never half of either.
func WriteFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
