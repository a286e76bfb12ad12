// Package private makes a folder readable by its owner only, for the
// warehouse and the research export, which hold record-level student data.
// On Unix that is mode 0700. Windows ignores Unix modes (os.Chmod sets or
// clears only the read-only flag) and a new folder inherits its parent's
// access list, which under C:\ lets every local user read it; there the
// folder gets an access list of its own instead (see private_windows.go).
package private

import (
	"fmt"
	"os"
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
