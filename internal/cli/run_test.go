package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// cliProcess starts this test binary as hitreflect in its own process.
func cliProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HITREFLECT_TEST_AS_CLI=1")
	return cmd
}

// run on the demo district: every source, metrics, a summary in runs/ and
// in the runs table; a second run loads nothing new. A source that cannot be
// fetched fails the run (exit 1) without stopping the others.
func TestRunTheWholeJob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, out, errOut := run(t, "demo", "--out", dir, "--students", "200"); code != ExitOK {
		t.Fatalf("demo: %d\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	// The district's packet only, to keep the test short (the default is
	// every audience's).
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("reports: {audience: district}\n")
	f.Close()
	// The demo wrote its own packets: the run must write the district's again.
	packetPDF := filepath.Join(dir, "out", "year", "district", "packet.pdf")
	if err := os.RemoveAll(filepath.Join(dir, "out", "year")); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "run", "--config", cfg)
	if code != ExitOK || !strings.Contains(out, ": ok in") || !strings.Contains(out, "metrics: written to") ||
		!strings.Contains(out, "reflection packets: written to "+filepath.Join(dir, "out", "year")+"; 1 packet (district)") {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	if st, err := os.Stat(packetPDF); err != nil || st.Size() == 0 {
		t.Errorf("the run's packet: %v", err)
	}
	runs, _ := filepath.Glob(filepath.Join(dir, "out", "runs", "*.json"))
	if len(runs) != 1 {
		t.Errorf("run summaries: %v", runs)
	}
	// Break one source: its landing folder goes; the others still run.
	os.RemoveAll(filepath.Join(dir, "landing", "learnwell"))
	code, out, _ = run(t, "run", "--config", cfg)
	if code != ExitFailed || !strings.Contains(out, "learnwell-sessions: fetch learnwell-sessions: landing folder") ||
		!strings.Contains(out, "brightpath-sessions  9      0       9") {
		t.Errorf("run with a broken source: exit %d\n%s", code, out)
	}
	w, err := warehouse.Open(context.Background(), filepath.Join(dir, "data", "hitreflect.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var n, failed int
	w.DB.QueryRow(`SELECT count(*), count(*) FILTER (WHERE status = 'failed') FROM runs`).Scan(&n, &failed)
	if n != 2 || failed != 1 {
		t.Errorf("runs table: %d runs, %d failed; want 2 and 1", n, failed)
	}
}

// Two processes on one warehouse: the second, without --wait, says another
// holds it and stops; with --wait, it waits for the first to finish.
func TestTwoProcessesOneWarehouse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, out, errOut := run(t, "demo", "--out", dir, "--students", "200"); code != ExitOK {
		t.Fatalf("demo: %d\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	wh := filepath.Join(dir, "data", "hitreflect.duckdb")
	// The first process: holds the lock for two seconds, as a long load would.
	marker := filepath.Join(t.TempDir(), "locked")
	holder := cliProcess(t, "hold-lock-for-test", wh, "2s", marker)
	holder.Env = append(holder.Env, "HITREFLECT_TEST_HOLD_LOCK=1")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	waitFor(t, func() bool { _, err := os.Stat(marker); return err == nil })

	second := cliProcess(t, "run", "--config", cfg)
	out, _ := second.CombinedOutput()
	if second.ProcessState.ExitCode() != ExitFailed || !strings.Contains(string(out), "another hitreflect process is working on this warehouse (process") {
		t.Errorf("second process without --wait: exit %d\n%s", second.ProcessState.ExitCode(), out)
	}
	start := time.Now()
	third := cliProcess(t, "run", "--config", cfg, "--wait", "30s")
	out, _ = third.CombinedOutput()
	if third.ProcessState.ExitCode() != ExitOK || time.Since(start) < 500*time.Millisecond {
		t.Errorf("third process with --wait: exit %d after %v\n%s", third.ProcessState.ExitCode(), time.Since(start), out)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holdLockForTest is the first process of TestTwoProcessesOneWarehouse.
func holdLockForTest(args []string) int {
	if len(args) != 3 || os.Getenv("HITREFLECT_TEST_HOLD_LOCK") != "1" {
		return ExitUsage
	}
	d, err := time.ParseDuration(args[1])
	if err != nil {
		return ExitUsage
	}
	l, err := pipeline.AcquireLock(context.Background(), args[0], 0, nil)
	if err != nil {
		return ExitFailed
	}
	os.WriteFile(args[2], nil, 0o600) // tells the test the lock is held
	time.Sleep(d)
	l.Release()
	return ExitOK
}

// While a load holds the warehouse, the commands that read it say plainly
// who holds it (never DuckDB's own lock error), and with --wait they wait
// their turn and answer.
func TestReadersWhileTheWarehouseIsBusy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, out, errOut := run(t, "demo", "--out", dir, "--students", "200"); code != ExitOK {
		t.Fatalf("demo: %d\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	marker := filepath.Join(t.TempDir(), "locked")
	holder := cliProcess(t, "hold-lock-for-test", filepath.Join(dir, "data", "hitreflect.duckdb"), "2s", marker)
	holder.Env = append(holder.Env, "HITREFLECT_TEST_HOLD_LOCK=1")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	waitFor(t, func() bool { _, err := os.Stat(marker); return err == nil })
	for _, args := range [][]string{
		{"status", "--config", cfg},
		{"rejects", "--config", cfg},
		{"metrics", "--config", cfg, "--family", "quality"},
		{"report", "--config", cfg, "--audience", "district"},
	} {
		code, out, errOut := run(t, args...)
		if code != ExitFailed || !strings.Contains(errOut, "another hitreflect process is working on this warehouse (process") ||
			!strings.Contains(errOut, "--wait") || strings.Contains(errOut+out, "Could not set lock") {
			t.Errorf("%s while the warehouse is held: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
	code, out, errOut := run(t, "status", "--config", cfg, "--wait", "30s")
	if code != ExitOK || !strings.Contains(errOut, "Waiting for another hitreflect process") || !strings.Contains(out, "loaded") {
		t.Errorf("status --wait: exit %d\n%s%s", code, out, errOut)
	}
}
