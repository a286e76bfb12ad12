package pipeline_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/hitreflect/hitreflect/internal/wiring"
	"github.com/hitreflect/hitreflect/pipeline"
	"github.com/hitreflect/hitreflect/pipeline/ingest"
)

// An HTTPS source end to end: the export is fetched and loaded; the load
// tells the connector (Archive), so the next night's request is conditional
// and the unchanged export is not downloaded again.
func TestHTTPSSourceLoadsOnceAndIsNotFetchedAgain(t *testing.T) {
	body := "session_id,student_id,session_date,duration_minutes,status\nS1,1,2025-09-03,30,attended\nS2,2,2025-09-03,30,student_absent\n"
	var full, conditional atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Disposition", `attachment; filename="sessions.csv"`)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	t.Setenv("TEST_PROVIDER_TOKEN", "s3cret-token")
	cfg := filepath.Join(dir, "hitreflect.yaml")
	os.WriteFile(cfg, []byte(`district: Test
providers: [{id: acme}]
sources:
  - name: acme
    kind: sessions
    provider: acme
    connector: {type: https, url: "`+srv.URL+`/export?format=csv&key=k3y-in-the-url", token_env: TEST_PROVIDER_TOKEN, ca_file: ca.pem}
    profile: canonical-sessions
`), 0o600)
	s, err := pipeline.Prepare(cfg, wiring.Connectors())
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.OpenWarehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	first, err := s.Ingest(context.Background(), w, pipeline.IngestOptions{})
	if err != nil || first[0].Err != nil || len(first[0].Files) != 1 || first[0].Files[0].Status != ingest.StatusLoaded || first[0].Files[0].Loaded != 2 {
		t.Fatalf("first night: %v %+v", err, first)
	}
	// The files table says where the file came from (the staged copy is
	// gone after the run), without the query's values, which may hold a key.
	var recorded string
	if err := w.DB.QueryRow(`SELECT path FROM files`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + "/export?format=…&key=…"; recorded != want || first[0].Files[0].Path != want {
		t.Errorf("recorded %q, reported %q; want %q", recorded, first[0].Files[0].Path, want)
	}
	second, err := s.Ingest(context.Background(), w, pipeline.IngestOptions{})
	if err != nil || second[0].Err != nil || len(second[0].Files) != 0 {
		t.Fatalf("second night: %v %+v", err, second)
	}
	if full.Load() != 1 || conditional.Load() != 1 {
		t.Errorf("the server sent the export %d times and answered 304 %d times; want 1 and 1", full.Load(), conditional.Load())
	}

	// A new, empty warehouse: what the connector remembers is not in it, so
	// the export is fetched again and loads (not "no files found").
	w.Close()
	if err := os.Remove(s.Config.WarehousePath()); err != nil {
		t.Fatal(err)
	}
	w, err = s.OpenWarehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fresh, err := s.Ingest(context.Background(), w, pipeline.IngestOptions{})
	if err != nil || fresh[0].Err != nil || len(fresh[0].Files) != 1 || fresh[0].Files[0].Status != ingest.StatusLoaded || fresh[0].Files[0].Loaded != 2 {
		t.Fatalf("into a new warehouse: %v %+v", err, fresh)
	}
	if full.Load() != 2 {
		t.Errorf("the server sent the export %d times; want 2", full.Load())
	}
}
