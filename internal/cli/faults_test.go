//go:build linux

package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/internal/synth"
)

// Faults of the machine rather than the data (issue 15, item 5): a full
// disk, a read-only or forbidden folder, a warehouse that is not one. Each
// gets a clear error naming the path, leaves nothing half-written, and the
// next run, once the fault is mended, ends as a clean run would.
//
// The full and read-only folders are real: small tmpfs mounts, which need
// root (or CAP_SYS_ADMIN); the forbidden ones run the command as the
// nobody user. Without them the tests skip, except under CI.

// faultDistrict writes a 400-student district (config, landing files) and
// returns its config path.
func faultDistrict(t *testing.T, dir string) string {
	t.Helper()
	if _, err := synth.Generate(context.Background(), dir, synth.Options{Students: 400, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, synth.ConfigFile)
}

// mountTmpfs mounts a tmpfs of size (mount's syntax: 1m) on dir until the
// test ends.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		needs(t, "root, to mount a small file system that fills up")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		needs(t, "permission to mount a tmpfs: "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v %s", dir, opts, err, out)
	}
}

// needs skips a test that cannot run here, but fails it under CI, which
// must never pass by skipping.
func needs(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("this test needs %s; CI must provide it", what)
	}
	t.Skipf("needs %s", what)
}

func TestDiskFullWhileLoadingThenRecovers(t *testing.T) {
	t.Parallel()
	clean := faultDistrict(t, filepath.Join(t.TempDir(), "clean"))
	if code, out, errOut := run(t, "ingest", "--config", clean); code != ExitOK && code != ExitWarnings {
		t.Fatalf("clean ingest: exit %d\n%s\n%s", code, out, errOut)
	}
	cfg := faultDistrict(t, filepath.Join(t.TempDir(), "full"))
	data := filepath.Join(filepath.Dir(cfg), "data")
	mountTmpfs(t, data, "1m")
	code, out, errOut := run(t, "ingest", "--config", cfg)
	if code != ExitFailed || !strings.Contains(errOut, "loading stopped: the disk is full or a folder cannot be written (warehouse "+filepath.Join(data, "hitreflect.duckdb")) ||
		!strings.Contains(errOut, "No space left on device") {
		t.Fatalf("ingest on a full disk: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := strings.Count(out, "FAILED"); n != 1 {
		t.Errorf("%d files failed; want the load to stop at the first (no file after it tried):\n%s", n, out)
	}
	remount(t, data, "size=200m")
	if code, out, errOut := run(t, "ingest", "--config", cfg); code != ExitOK && code != ExitWarnings {
		t.Fatalf("ingest once there is room: exit %d\n%s\n%s", code, out, errOut)
	}
	want, got := districtState(t, clean), districtState(t, cfg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s after the full disk, %s after a clean load", k, got[k], v)
		}
	}
}

func TestFullOrReadOnlyOutputLeavesTheLastPackets(t *testing.T) {
	t.Parallel()
	cfg := faultDistrict(t, filepath.Join(t.TempDir(), "district"))
	out := filepath.Join(filepath.Dir(cfg), "out")
	mountTmpfs(t, out, "100m")
	if code, o, e := run(t, "run", "--config", cfg, "--force"); code != ExitOK && code != ExitWarnings {
		t.Fatalf("run: exit %d\n%s\n%s", code, o, e)
	}
	before := tree(t, out)

	remount(t, out, "ro")
	code, o, e := run(t, "report", "--config", cfg, "--audience", "all")
	if code != ExitFailed || !strings.Contains(e, "the output folder "+filepath.Join(out, "year")+" cannot be written (read-only file system): nothing was changed there") {
		t.Errorf("report to a read-only folder: exit %d\n%s\n%s", code, o, e)
	}
	if after := tree(t, out); after != before {
		t.Errorf("a read-only output folder changed:\n%s\nwas\n%s", after, before)
	}

	// Full: a few packets may fit, the rest fail whole.
	remount(t, out, "rw")
	fill, err := os.Create(filepath.Join(out, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for chunk := make([]byte, 1<<20); ; {
		if _, err := fill.Write(chunk); err != nil {
			break // the folder is full
		}
	}
	fill.Close()
	if err := os.Truncate(filepath.Join(out, "filler"), mustSize(t, filepath.Join(out, "filler"))-(2<<20)); err != nil {
		t.Fatal(err)
	}
	code, o, e = run(t, "report", "--config", cfg, "--audience", "all")
	if code != ExitFailed || !strings.Contains(e, "no space left on device") || !strings.Contains(e, "packets were not written; their folders hold the last complete packet") {
		t.Errorf("report to a full folder: exit %d\n%s\n%s", code, o, e)
	}
	for _, line := range strings.Split(tree(t, out), "\n") {
		if strings.Contains(line, ".tmp-") || strings.Contains(line, ".old-") {
			t.Errorf("left half-written: %s", line)
		}
	}
	if err := os.Remove(filepath.Join(out, "filler")); err != nil {
		t.Fatal(err)
	}
	if code, o, e := run(t, "report", "--config", cfg, "--audience", "all"); code != ExitOK {
		t.Errorf("report once there is room: exit %d\n%s\n%s", code, o, e)
	}
}

func mustSize(t *testing.T, p string) int64 {
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// tree lists every file under dir with its size.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %v %d\n", rel, info.IsDir(), info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A warehouse file that is not DuckDB's is named, left untouched, and no
// command goes on as if it were empty.
func TestWarehouseThatIsNotDuckDB(t *testing.T) {
	t.Parallel()
	cfg := faultDistrict(t, filepath.Join(t.TempDir(), "district"))
	db := filepath.Join(filepath.Dir(cfg), "data", "hitreflect.duckdb")
	if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
		t.Fatal(err)
	}
	junk := []byte("PK\x03\x04 a spreadsheet saved over the warehouse by mistake")
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"ingest"}, {"status"}, {"report"}, {"run", "--force"}} {
		code, o, e := run(t, append([]string{args[0], "--config", cfg}, args[1:]...)...)
		if code != ExitFailed || !strings.Contains(e, "the warehouse "+db+" is not a DuckDB database file, so it was left as it is") {
			t.Errorf("%s: exit %d\n%s\n%s", args[0], code, o, e)
		}
	}
	if b, _ := os.ReadFile(db); string(b) != string(junk) {
		t.Errorf("the file was changed")
	}
}

// As a user who may not use the warehouse folder, or write the output
// folder: the command says which folder and whose it is; the owner's next
// run is unaffected.
func TestFoldersThisUserMayNotUse(t *testing.T) {
	if os.Geteuid() != 0 {
		needs(t, "root, to run the command as the nobody user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		needs(t, "setpriv (util-linux), to run the command as the nobody user")
	}
	// A folder nobody can reach: t.TempDir's parents are root's only.
	base, err := os.MkdirTemp("", "hitreflect-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "hitreflect.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := faultDistrict(t, filepath.Join(base, "district"))
	dir := filepath.Dir(cfg)
	if code, o, e := run(t, "ingest", "--config", cfg); code != ExitOK && code != ExitWarnings {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, o, e)
	}
	asNobody := func(args ...string) (int, string) {
		cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
		cmd.Env = append(os.Environ(), "HITREFLECT_TEST_AS_CLI=1", "HOME="+base)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	// Everything is nobody's but the warehouse folder (root's, 0700).
	for _, p := range []string{dir, filepath.Join(dir, "landing")} {
		chownTree(t, p, filepath.Join(dir, "data"))
	}
	before := tree(t, filepath.Join(dir, "data"))
	code, out := asNobody("status", "--config", cfg)
	if code != ExitFailed || !strings.Contains(out, "the warehouse folder "+filepath.Join(dir, "data")+" may not be used by this user (permission denied): run hitreflect as the user who owns it") {
		t.Errorf("status as another user: exit %d\n%s", code, out)
	}
	if after := tree(t, filepath.Join(dir, "data")); after != before {
		t.Errorf("the warehouse folder changed")
	}
	// The output folder root's (0755): nobody reads it but may not write.
	if err := os.MkdirAll(filepath.Join(dir, "out", "year"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "out"), filepath.Join(dir, "out", "year")} {
		if err := os.Chown(p, 0, 0); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o755)
	}
	chownTree(t, filepath.Join(dir, "data"), "")
	code, out = asNobody("report", "--config", cfg)
	if code != ExitFailed || !strings.Contains(out, "the output folder "+filepath.Join("out", "year")) && !strings.Contains(out, "the output folder "+filepath.Join(dir, "out", "year")) ||
		!strings.Contains(out, "permission denied") {
		t.Errorf("report into a folder this user may not write: exit %d\n%s", code, out)
	}
}

// chownTree gives dir and all under it to nobody, except the folder skip.
func chownTree(t *testing.T, dir, skip string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		return os.Lchown(p, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}
}
