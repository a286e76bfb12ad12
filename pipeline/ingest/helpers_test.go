package ingest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/config"
	"github.com/hitreflect/hitreflect/pipeline/profile"
	"github.com/hitreflect/hitreflect/pipeline/warehouse"
)

// testConfig is a minimal district config with a calendar, for tests.
const testConfig = `district: Test District
school_year: 2025-26
calendar:
  start: 2025-08-18
  end: 2026-06-05
  windows: {fall: [2025-08-18, 2025-10-31], winter: [2025-12-01, 2026-03-01], spring: [2026-03-02, 2026-06-30]}
providers:
  - id: acme
    name: Acme Tutoring
sources:
  - {name: acme, kind: sessions, provider: acme, connector: {type: local, path: x}, profile: canonical-sessions}
  - {name: tests, kind: assessments, connector: {type: local, path: x}, profile: canonical-assessments}
  - {name: roster, kind: roster, connector: {type: local, path: x}, profile: canonical-roster}
`

type fixture struct {
	t    *testing.T
	cfg  *config.Config
	set  *profile.Set
	wh   *warehouse.Warehouse
	conn *sql.Conn
}

func newFixture(t *testing.T, extraYAML string) *fixture {
	t.Helper()
	dir := t.TempDir()
	lc, err := config.ParseLocated(filepath.Join(dir, "hitreflect.yaml"), []byte(testConfig+extraYAML))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	set, err := profile.ForConfig(lc)
	if err != nil {
		t.Fatalf("profiles: %v", err)
	}
	wh, err := warehouse.Open(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	conn, err := wh.DB.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fixture{t: t, cfg: lc.Config, set: set, wh: wh, conn: conn}
}

// load loads path as the named source, optionally under another profile.
func (f *fixture) load(source, path string, profileName ...string) *Result {
	f.t.Helper()
	src, ok := f.cfg.Source(source)
	if !ok {
		f.t.Fatalf("no source %s", source)
	}
	s := *src
	if len(profileName) > 0 {
		s.Profile = profileName[0]
	}
	p, ok := f.set.Get(s.Profile)
	if !ok {
		f.t.Fatalf("no profile %s", s.Profile)
	}
	res, err := Load(context.Background(), f.conn, Request{Config: f.cfg, Source: s, Profile: p, Path: path, TempDir: f.t.TempDir(),
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		f.t.Fatalf("load %s: %v", path, err)
	}
	if got := res.Loaded + res.Rejected + res.Duplicate + res.Skipped; res.Status == StatusLoaded && got != res.Read {
		f.t.Fatalf("%s: read %d but accounted for %d", path, res.Read, got)
	}
	return res
}

// write puts content in a file in a temp folder and returns its path.
func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// query returns rows as lines of |-separated text.
func (f *fixture) query(q string, args ...any) []string {
	f.t.Helper()
	rows, err := f.conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		v := make([]sql.NullString, len(cols))
		p := make([]any, len(cols))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			f.t.Fatal(err)
		}
		cells := make([]string, len(cols))
		for i, c := range v {
			if c.Valid {
				cells[i] = c.String
			} else {
				cells[i] = "NULL"
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}
