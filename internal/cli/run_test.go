package cli

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// status answers while an ingest runs, from what the ingest has committed
// so far; the other readers say plainly who holds the warehouse (never
// DuckDB's own lock error), and with --wait wait their turn and answer.
// The ingest's last source is an HTTPS export that this test's server holds
// back until the readers have answered.
func TestStatusDuringIngest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if code, out, errOut := run(t, "demo", "--out", dir, "--students", "200"); code != ExitOK {
		t.Fatalf("demo: %d\n%s%s", code, out, errOut)
	}
	// A fresh warehouse, so the ingest loads every file again.
	wh := filepath.Join(dir, "data", "hitreflect.duckdb")
	for _, p := range []string{wh, wh + ".wal", pipeline.StatusSnapshotPath(wh)} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	asked, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-release
		http.NotFound(w, r)
	}))
	defer srv.Close()
	var released sync.Once
	unblock := func() { released.Do(func() { close(release) }) }
	defer unblock()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "hitreflect.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	late := fmt.Sprintf("  - name: late-sessions\n    kind: sessions\n    provider: brightpath\n    profile: brightpath\n"+
		"    connector: {type: https, url: %q, ca_file: %q}\n", srv.URL+"/late.csv", ca)
	// the new source goes last in the list, before the next top-level key
	text := string(b)
	i := strings.Index(text, "\nsources:\n")
	next := regexp.MustCompile(`(?m)^[a-z_]+:`).FindStringIndex(text[i+len("\nsources:\n"):])
	if i < 0 || next == nil {
		t.Fatal("the demo config has no sources list followed by another key")
	}
	at := i + len("\nsources:\n") + next[0]
	text = text[:at] + late + text[at:]
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	ingest := cliProcess(t, "ingest", "--config", cfg)
	var ingestOut strings.Builder
	ingest.Stdout, ingest.Stderr = &ingestOut, &ingestOut
	if err := ingest.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ingest.Wait() }()
	select {
	case <-asked:
	case err := <-done:
		t.Fatalf("ingest ended (%v) before fetching the late source:\n%s", err, ingestOut.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("the ingest never fetched the late source")
	}

	code, out, errOut := run(t, "status", "--config", cfg, "--json", "--limit", "1000")
	if code != ExitOK || !strings.Contains(errOut, "Another hitreflect process holds the warehouse (process") {
		t.Fatalf("status during the ingest: exit %d\n%s%s", code, out, errOut)
	}
	var during []FileStatus
	if err := json.Unmarshal([]byte(out), &during); err != nil || len(during) == 0 {
		t.Fatalf("status --json during the ingest: %v, %d files\n%s", err, len(during), out)
	}
	code, table, errOut := run(t, "status", "--config", cfg)
	if code != ExitOK || !strings.Contains(table, "loaded") {
		t.Errorf("status during the ingest: exit %d\n%s%s", code, table, errOut)
	}

	// The other readers say plainly who holds the warehouse and how to
	// wait; DuckDB's own lock error never reaches the user.
	for _, args := range [][]string{
		{"rejects", "--config", cfg},
		{"metrics", "--config", cfg, "--family", "quality"},
		{"report", "--config", cfg, "--audience", "district"},
	} {
		code, out, errOut := run(t, args...)
		if code != ExitFailed || !strings.Contains(errOut, "another hitreflect process is working on this warehouse (process") ||
			!strings.Contains(errOut, "--wait") || strings.Contains(errOut+out, "Could not set lock") {
			t.Errorf("%s during the ingest: exit %d\n%s%s", args[0], code, out, errOut)
		}
	}
	// With --wait, a reader waits for the ingest and then answers.
	type result struct {
		code        int
		out, errOut string
	}
	waited := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, "rejects", "--config", cfg, "--wait", "2m")
		waited <- result{code, out, errOut}
	}()
	time.Sleep(500 * time.Millisecond)
	unblock()
	if r := <-waited; r.code != ExitOK || !strings.Contains(r.errOut, "Waiting for another hitreflect process") || !strings.HasPrefix(r.out, "source,file,line") {
		t.Errorf("rejects --wait during the ingest: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if err := <-done; err == nil {
		t.Errorf("ingest with a source that answers 404: exit 0, want a failure\n%s", ingestOut.String())
	}
	code, out, errOut = run(t, "status", "--config", cfg, "--json", "--limit", "1000")
	if code != ExitOK {
		t.Fatalf("status after the ingest: exit %d\n%s", code, errOut)
	}
	var after []FileStatus
	if err := json.Unmarshal([]byte(out), &after); err != nil {
		t.Fatal(err)
	}
	// every file status named during the ingest is in the warehouse as it said
	byID := map[int64]FileStatus{}
	for _, f := range after {
		byID[f.FileID] = f
	}
	for _, f := range during {
		g, ok := byID[f.FileID]
		if !ok || g.Path != f.Path || g.Status != f.Status || g.Loaded != f.Loaded || g.Rejected != f.Rejected {
			t.Errorf("during the ingest status said %+v; after it the warehouse has %+v", f, g)
		}
	}
	t.Logf("status during the ingest: %d files committed; after: %d", len(during), len(after))
}

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
