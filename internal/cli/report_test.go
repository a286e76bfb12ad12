package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/testdistrict"
)

// hitreflect report writes the packet where the config's output says,
// and refuses an audience the config does not have.
func TestReport(t *testing.T) {
	d := testdistrict.Load(t, 300, 2)
	d.Warehouse.Close() // the command opens it itself
	cfg := d.Summary.ConfigPath
	t.Setenv("SOURCE_DATE_EPOCH", strconv.FormatInt(time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC).Unix(), 10))

	p := d.Setup.Config.Providers[0].ID
	code, out, errOut := run(t, "report", "--config", cfg, "--audience", "provider:"+p)
	if code != ExitOK {
		t.Fatalf("report exit %d\n%s\n%s", code, out, errOut)
	}
	dir := filepath.Join(d.Setup.Config.OutputDir(), "year", "provider-"+p)
	for _, f := range []string{"packet.pdf", "index.html", "charts", "tables"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("no %s: %v\n%s", f, err, out)
		}
	}
	if !strings.Contains(out, "Wrote 1 packet (") {
		t.Errorf("output lacks the summary:\n%s", out)
	}

	for _, bad := range []string{"provider:nobody", "school:", "teachers"} {
		if code, _, errOut := run(t, "report", "--config", cfg, "--audience", bad); code != ExitUsage {
			t.Errorf("--audience %s: exit %d, want %d\n%s", bad, code, ExitUsage, errOut)
		}
	}
}
