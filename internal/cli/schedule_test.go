package cli

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/internal/synth"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// hitreflect schedule on an every-second schedule, stopped by SIGTERM while
// it loads: it finishes the file in hand and exits; the warehouse holds only
// whole files; the next run loads the rest.
func TestScheduleStopsGracefullyMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 6,000-student district in another process")
	}
	dir := t.TempDir()
	sum, err := synth.Generate(context.Background(), dir, synth.Options{Students: 6000, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(sum.ConfigPath, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("schedule: \"@every 1s\"\n")
	f.Close()

	cmd := cliProcess(t, "schedule", "--config", sum.ConfigPath)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var log []string
	wait := func(what string) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("schedule ended before %q:\n%s", what, strings.Join(log, "\n"))
				}
				log = append(log, l)
				if strings.Contains(l, what) {
					return
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("no %q in a minute:\n%s", what, strings.Join(log, "\n"))
			}
		}
	}
	wait(`"msg":"job started"`)
	time.Sleep(1500 * time.Millisecond) // into the load
	cmd.Process.Signal(syscall.SIGTERM)
	wait("stopping: finishing the file or step in hand")
	wait("schedule stopped")
	for l := range lines {
		log = append(log, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("schedule exited with %v:\n%s", err, strings.Join(log, "\n"))
	}

	// Only whole files: every file reconciles and every row belongs to one.
	w, err := warehouse.Open(context.Background(), filepath.Join(dir, "data", "hitreflect.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	var loaded, unreconciled, orphans int
	w.DB.QueryRow(`SELECT count(*), count(*) FILTER (WHERE rows_read <> rows_loaded + rows_rejected + rows_duplicate + rows_skipped) FROM files`).Scan(&loaded, &unreconciled)
	w.DB.QueryRow(`SELECT count(*) FROM sessions WHERE file_id NOT IN (SELECT file_id FROM files)`).Scan(&orphans)
	w.Close()
	t.Logf("%d of 26 files loaded when stopped", loaded)
	if unreconciled != 0 || orphans != 0 {
		t.Errorf("after the stop: %d files do not reconcile, %d sessions belong to no file", unreconciled, orphans)
	}
	// The signal came 1.5 s into a load of several seconds: the file in hand
	// was finished (at least one), and the rest were left for the next run.
	if loaded < 1 || loaded >= 25 {
		t.Errorf("%d files loaded when stopped; want the file in hand finished and the others left:\n%s", loaded, strings.Join(log, "\n"))
	}

	// The next run completes the work.
	code, out, errOut := run(t, "run", "--config", sum.ConfigPath)
	if code != ExitOK {
		t.Fatalf("run after the stop: exit %d\n%s%s", code, out, errOut)
	}
	w, err = warehouse.Open(context.Background(), filepath.Join(dir, "data", "hitreflect.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.DB.QueryRow(`SELECT count(*) FROM files WHERE status = 'loaded'`).Scan(&loaded)
	if loaded != 25 {
		t.Errorf("after the next run %d files are loaded, want 25", loaded)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "schedule-status.json")); err != nil {
		t.Errorf("no status file: %v", err)
	}
}
