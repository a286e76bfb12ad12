package cli

import (
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// --version names hitreflect's version (stamped by scripts/release with
// -ldflags -X), the embedded DuckDB's, the Go release and the platform.
func TestVersion(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = "0.1.0-rc1"
	code, out, errOut := run(t, "--version")
	if code != ExitOK || errOut != "" {
		t.Fatalf("--version: exit %d\n%s\n%s", code, out, errOut)
	}
	want := regexp.MustCompile(`^hitreflect 0\.1\.0-rc1 \(DuckDB v\d+\.\d+\.\d+[^,]*, ` +
		regexp.QuoteMeta(runtime.Version()+", "+runtime.GOOS+"/"+runtime.GOARCH) + `\)\n$`)
	if !want.MatchString(out) {
		t.Errorf("--version printed %q, want it to match %s", out, want)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("--version printed more than one line: %q", out)
	}
}
