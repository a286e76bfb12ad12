package synth

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateVendor = flag.Bool("update-vendor", false, "rewrite testdata/vendor from the generator")

// The committed vendor fixtures are what the generator writes: change the
// generator, then go test ./internal/synth -run VendorFixtures -update-vendor.
func TestVendorFixturesAreCommitted(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "vendor")
	if *updateVendor {
		if _, err := WriteVendorFixtures(dir, 2026); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := VendorFixtures(2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatalf("%v (go test ./internal/synth -run VendorFixtures -update-vendor)", err)
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s differs from what the generator writes (go test ./internal/synth -run VendorFixtures -update-vendor)", f.Name)
		}
		if f.Read == 0 || f.Loaded == 0 || f.Read < f.Loaded+f.Skipped {
			t.Errorf("%s: read %d loaded %d skipped %d", f.Name, f.Read, f.Loaded, f.Skipped)
		}
	}
}
