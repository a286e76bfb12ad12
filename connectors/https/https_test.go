package https

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitreflect/hitreflect/connectors"
	"github.com/hitreflect/hitreflect/connectors/connectortest"
)

// Every fetch in these tests is bounded: a hung connector fails its test.

func TestConformance(t *testing.T) {
	t.Parallel()
	connectortest.Run(t, func(t *testing.T, files map[string][]byte) connectors.Connector {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name, ok := strings.CutPrefix(r.URL.Path, "/files/")
			b, found := files[name]
			switch {
			case r.URL.Path == "/export":
				w.WriteHeader(http.StatusNoContent) // an export with nothing in it
			case !ok || !found:
				http.NotFound(w, r)
			default:
				w.Write(b)
			}
		}))
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		urls := []any{srv.URL + "/export"}
		if len(names) > 0 {
			urls = nil
		}
		for _, n := range names {
			urls = append(urls, srv.URL+"/files/"+url.PathEscape(n))
		}
		s := srv.settings(t, nil)
		delete(s, "url")
		s["urls"] = urls
		return mustNew(t, s, nil)
	})
}

// The provider's server is down for a moment: two 503s, then the file.
func TestRetriesServerErrors(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := calls.Add(1); {
		case r.URL.Path == "/missing.csv":
			http.NotFound(w, r)
		case r.URL.Path == "/broken.csv" && n == 1:
			// The connection breaks off half way through the body.
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("id,minutes\n1,3"))
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		case r.URL.Path == "/broken.csv":
			w.Write([]byte("id,minutes\n1,30\n"))
		case n <= 2:
			http.Error(w, "maintenance window", http.StatusServiceUnavailable)
		default:
			w.Write([]byte("id,minutes\n1,30\n"))
		}
	}))

	t.Run("TwiceThenSucceeds", func(t *testing.T) {
		calls.Store(0)
		paths, err := connectortest.Fetch(t, mustNew(t, srv.settings(t, map[string]any{"url": srv.URL + "/sessions.csv"}), nil), t.TempDir())
		if err != nil || len(paths) != 1 || calls.Load() != 3 {
			t.Fatalf("got %q, %v after %d requests; want the file after 3", paths, err, calls.Load())
		}
		if b, _ := os.ReadFile(paths[0]); string(b) != "id,minutes\n1,30\n" {
			t.Errorf("content %q", b)
		}
	})
	t.Run("GivesUp", func(t *testing.T) {
		calls.Store(0)
		s := srv.settings(t, map[string]any{"url": srv.URL + "/sessions.csv", "retries": uint64(1)})
		dst := t.TempDir()
		paths, err := connectortest.Fetch(t, mustNew(t, s, nil), dst)
		want := "GET " + srv.URL + "/sessions.csv: 503 Service Unavailable: maintenance window (gave up after 2 tries)"
		if err == nil || err.Error() != want || len(paths) != 0 || calls.Load() != 2 {
			t.Errorf("got %q, %v after %d requests; want %q after 2", paths, err, calls.Load(), want)
		}
		connectortest.ExpectEntries(t, dst)
	})
	t.Run("NotOn4xx", func(t *testing.T) {
		calls.Store(0)
		_, err := connectortest.Fetch(t, mustNew(t, srv.settings(t, map[string]any{"url": srv.URL + "/missing.csv"}), nil), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "GET "+srv.URL+"/missing.csv: 404 Not Found") || calls.Load() != 1 {
			t.Errorf("404: %v after %d requests, want one request", err, calls.Load())
		}
	})
	t.Run("BrokenDownloadTriedAgain", func(t *testing.T) {
		calls.Store(0)
		dst := t.TempDir()
		paths, err := connectortest.Fetch(t, mustNew(t, srv.settings(t, map[string]any{"url": srv.URL + "/broken.csv"}), nil), dst)
		if err != nil || len(paths) != 1 || calls.Load() != 2 {
			t.Fatalf("got %q, %v after %d requests", paths, err, calls.Load())
		}
		if b, _ := os.ReadFile(paths[0]); string(b) != "id,minutes\n1,30\n" {
			t.Errorf("content %q", b)
		}
		connectortest.ExpectEntries(t, dst, "broken.csv")
	})
}

// Unchanged content is skipped, but only once it has loaded: a file that
// failed to load comes again.
func TestSkipsUnchangedContent(t *testing.T) {
	t.Parallel()
	type version struct {
		body, etag string
		mod        time.Time
	}
	var mu sync.Mutex
	current := map[string]version{
		"/etag.csv":  {body: "v1\n", etag: `"v1"`},
		"/dated.csv": {body: "v1\n", mod: time.Date(2025, 9, 1, 2, 0, 0, 0, time.UTC)},
		"/plain.csv": {body: "v1\n"},
	}
	var conditional []string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		v := current[r.URL.Path]
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			conditional = append(conditional, r.URL.Path)
		}
		mu.Unlock()
		if v.etag != "" {
			w.Header().Set("ETag", v.etag)
		}
		// ServeContent answers If-None-Match and If-Modified-Since with 304.
		http.ServeContent(w, r, "", v.mod, strings.NewReader(v.body))
	}))
	set := func(p, body, etag string, mod time.Time) {
		mu.Lock()
		defer mu.Unlock()
		current[p] = version{body, etag, mod}
	}
	stateDir := t.TempDir()
	settings := srv.settings(t, map[string]any{"state_dir": stateDir, "url": nil,
		"urls": []any{srv.URL + "/etag.csv", srv.URL + "/dated.csv", srv.URL + "/plain.csv"}})
	c := mustNew(t, settings, nil)
	dst := t.TempDir()
	paths, err := connectortest.Fetch(t, c, dst)
	if err != nil || !slices.Equal(connectortest.Names(paths), []string{"etag.csv", "dated.csv", "plain.csv"}) {
		t.Fatalf("first fetch: %q, %v", paths, err)
	}
	// Not loaded yet (say the load failed): the next fetch downloads again.
	if paths, err = connectortest.Fetch(t, c, dst); err != nil || len(paths) != 3 || len(conditional) != 0 {
		t.Fatalf("fetch before any load: %q, %v (conditional requests: %v)", paths, err, conditional)
	}
	for _, p := range paths {
		if err := c.Archive(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	// Loaded: nothing comes while nothing changed, even for a connector
	// built afresh (the next night's process) over the same state folder.
	c2 := mustNew(t, settings, nil)
	if paths, err = connectortest.Fetch(t, c2, dst); err != nil || len(paths) != 0 {
		t.Errorf("fetch of unchanged content: %q, %v; want nothing", paths, err)
	}
	if want := []string{"/etag.csv", "/dated.csv"}; !slices.Equal(conditional, want) {
		t.Errorf("conditional requests for %v, want %v (304 Not Modified)", conditional, want)
	}
	// New content comes, whichever way the server says so.
	set("/etag.csv", "v2\n", `"v2"`, time.Time{})
	set("/dated.csv", "v2\n", "", time.Date(2025, 9, 2, 2, 0, 0, 0, time.UTC))
	set("/plain.csv", "v2\n", "", time.Time{})
	if paths, err = connectortest.Fetch(t, c2, dst); err != nil || len(paths) != 3 {
		t.Fatalf("fetch of changed content: %q, %v", paths, err)
	}
	for _, p := range paths {
		if b, _ := os.ReadFile(p); string(b) != "v2\n" {
			t.Errorf("%s holds %q", p, b)
		}
	}
	if err := c2.Archive(t.Context(), filepath.Join(dst, "nothing.csv")); err == nil || !strings.Contains(err.Error(), "not a file this https connector fetched") {
		t.Errorf("archive of an unknown file: %v", err)
	}
	entries, _ := os.ReadDir(stateDir)
	if len(entries) != 3 {
		t.Errorf("state folder holds %v, want one file per URL", entries)
	}
}

// A refused token is named in the error with the URL, so the morning's
// reader knows which source and which secret to look at (the pipeline puts
// the source's name in front: "fetch <source>: ...").
func TestRefusedCredentials(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, basic := r.BasicAuth()
		switch {
		case r.Header.Get("Authorization") == "Bearer good-token", basic && user == "district" && pw == "good-password":
			w.Write([]byte("ok\n"))
		case strings.HasPrefix(r.URL.Path, "/forbidden"):
			http.Error(w, "forbidden", http.StatusForbidden)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="export"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
	}))
	u := srv.URL + "/export/sessions.csv?district=riverside&api_key=do-not-print"
	shown := srv.URL + "/export/sessions.csv?api_key=…&district=…"
	token := map[string]any{"url": u, "token_env": "PROVIDER_TOKEN"}
	basic := map[string]any{"url": u, "user": "district", "password_env": "PROVIDER_PASSWORD"}
	cases := []struct {
		name     string
		settings map[string]any
		env      map[string]string
		want     string
	}{
		{"BadToken", token, map[string]string{"PROVIDER_TOKEN": "stale-token"},
			shown + " answered 401 Unauthorized: the token in environment variable PROVIDER_TOKEN (token_env) was refused"},
		{"Forbidden", map[string]any{"url": srv.URL + "/forbidden.csv", "token_env": "PROVIDER_TOKEN"}, map[string]string{"PROVIDER_TOKEN": "stale-token"},
			srv.URL + "/forbidden.csv answered 403 Forbidden: the token in environment variable PROVIDER_TOKEN (token_env) was refused"},
		{"BadPassword", basic, map[string]string{"PROVIDER_PASSWORD": "wrong"},
			shown + ` answered 401 Unauthorized: user "district" with the password in environment variable PROVIDER_PASSWORD (password_env) was refused`},
		{"NoCredentials", map[string]any{"url": u}, nil,
			shown + " answered 401 Unauthorized: the server wants a login; set token_env, or user and password_env"},
		{"TokenNotSet", token, nil, "environment variable PROVIDER_TOKEN (named by token_env) is not set"},
		{"GoodToken", token, map[string]string{"PROVIDER_TOKEN": "good-token"}, ""},
		{"GoodPassword", basic, map[string]string{"PROVIDER_PASSWORD": "good-password"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			paths, err := connectortest.Fetch(t, mustNew(t, srv.settings(t, c.settings), c.env), t.TempDir())
			if c.want == "" {
				if err != nil || len(paths) != 1 {
					t.Errorf("got %q, %v", paths, err)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "do-not-print") {
				t.Errorf("the error shows the URL's key: %v", err)
			}
		})
	}
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789", 200)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/streamed.csv" {
			// No Content-Length: the limit must hold while reading.
			for i := 0; i < len(big); i += 100 {
				w.Write([]byte(big[i : i+100]))
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Write([]byte(big)) // short enough for net/http to declare its Content-Length
	}))
	for _, c := range []struct {
		path     string
		maxBytes uint64
		want     string
	}{
		{"/declared.csv", 1000, srv.URL + "/declared.csv is 2000 bytes, more than max_bytes (1000 bytes) allows"},
		{"/streamed.csv", 1000, srv.URL + "/streamed.csv is more than max_bytes (1000 bytes) allows"},
		{"/declared.csv", 2000, ""},
		{"/streamed.csv", 2000, ""},
	} {
		t.Run(fmt.Sprintf("%s_max%d", strings.TrimPrefix(c.path, "/"), c.maxBytes), func(t *testing.T) {
			t.Parallel()
			dst := t.TempDir()
			s := srv.settings(t, map[string]any{"url": srv.URL + c.path, "max_bytes": c.maxBytes})
			paths, err := connectortest.Fetch(t, mustNew(t, s, nil), dst)
			if c.want == "" {
				if err != nil || len(paths) != 1 {
					t.Fatalf("got %q, %v", paths, err)
				}
				if b, _ := os.ReadFile(paths[0]); string(b) != big {
					t.Errorf("got %d bytes", len(b))
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
			connectortest.ExpectEntries(t, dst)
		})
	}
}

func TestFileNames(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/evil":
			w.Header().Set("Content-Disposition", `attachment; filename="../../x.csv"`)
		case "/evil-backslash":
			w.Header().Set("Content-Disposition", `attachment; filename="..\\..\\x.csv"`)
		case "/utf8":
			w.Header().Set("Content-Disposition", `attachment; filename*=UTF-8''r%C3%A9sultats%20d%27automne.csv`)
		}
		fmt.Fprintf(w, "%s\n", r.URL.Path)
	}))
	top := t.TempDir()
	dst := filepath.Join(top, "staging")
	s := srv.settings(t, map[string]any{"url": nil, "urls": []any{
		srv.URL + "/evil", srv.URL + "/evil-backslash", srv.URL + "/utf8", srv.URL + "/",
		srv.URL + "/exports/..%2F..%2Fy.csv", srv.URL + "/api/export?format=csv"}})
	paths, err := connectortest.Fetch(t, mustNew(t, s, nil), dst)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x.csv", "x-2.csv", "résultats d_automne.csv", "download", "y.csv", "export"}
	if !slices.Equal(connectortest.Names(paths), want) {
		t.Errorf("staged %q, want %q", connectortest.Names(paths), want)
	}
	for _, p := range paths {
		if filepath.Dir(p) != dst {
			t.Errorf("%s is outside the staging folder", p)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "x-2.csv")); string(b) != "/evil-backslash\n" {
		t.Errorf("x-2.csv holds %q", b)
	}
	connectortest.ExpectEntries(t, top, "staging")
}

// A server that stops sending fails the fetch after timeout instead of
// hanging the nightly job; a cancelled context ends it at once.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stalls-mid-body.csv" {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("id,minutes\n"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	for _, c := range []struct{ path, want string }{
		{"/never-answers.csv", "GET " + srv.URL + "/never-answers.csv: no answer within 300ms (timeout)"},
		{"/stalls-mid-body.csv", "GET " + srv.URL + "/stalls-mid-body.csv: no data from the server for 300ms (timeout)"},
	} {
		t.Run(c.path, func(t *testing.T) {
			t.Parallel()
			dst := t.TempDir()
			s := srv.settings(t, map[string]any{"url": srv.URL + c.path, "timeout": 0.3, "retries": uint64(1)})
			start := time.Now()
			_, err := connectortest.Fetch(t, mustNew(t, s, nil), dst)
			if err == nil || err.Error() != c.want+" (gave up after 2 tries)" {
				t.Errorf("got %v, want %q", err, c.want)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("took %v", took)
			}
			connectortest.ExpectEntries(t, dst)
		})
	}
	t.Run("Cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		c := mustNew(t, srv.settings(t, map[string]any{"url": srv.URL + "/never-answers.csv"}), nil)
		start := time.Now()
		_, err := c.Fetch(ctx, t.TempDir())
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
			t.Errorf("got %v after %v", err, time.Since(start))
		}
	})
}

func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	s := srv.settings(t, map[string]any{"url": srv.URL + "/x.csv", "ca_file": nil})
	_, err := connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "the server's certificate is not trusted") || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("got %v", err)
	}
}

func TestSettingsAreCheckedUpFront(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "not-a-cert.pem"), []byte("hello"), 0o600)
	os.WriteFile(filepath.Join(dir, "a-file"), []byte("x"), 0o600)
	ok := func(change map[string]any) map[string]any {
		s := map[string]any{"type": "https", "url": "https://export.example.org/sessions.csv", "token_env": "PROVIDER_TOKEN"}
		for k, v := range change {
			if v == nil {
				delete(s, k)
			} else {
				s[k] = v
			}
		}
		return s
	}
	cases := []struct {
		name     string
		settings map[string]any
		want     string
	}{
		{"NoURL", ok(map[string]any{"url": nil}), "url: expected the https:// address"},
		{"Both", ok(map[string]any{"urls": []any{"https://a.example.org/x"}}), "urls: expected url or urls, not both"},
		{"PlainHTTP", ok(map[string]any{"url": "http://export.example.org/x.csv"}), "url: expected an https:// address"},
		{"Relative", ok(map[string]any{"url": "export.example.org/x.csv"}), "url: expected an https:// address"},
		{"BadInList", ok(map[string]any{"url": nil, "urls": []any{"https://a.example.org/x", "ftp://b"}}), "urls[1]: expected an https:// address"},
		{"NotAList", ok(map[string]any{"url": nil, "urls": "https://a.example.org/x"}), "urls: expected a list"},
		{"PasswordInURL", ok(map[string]any{"url": "https://me:secret@export.example.org/x"}), "url: the URL holds a user or password"},
		{"TokenInConfig", ok(map[string]any{"token_env": "eyJhbGciOi.JIUzI1NiJ9"}), "token_env: expected the NAME of an environment variable"},
		{"TokenAndUser", ok(map[string]any{"user": "me", "password_env": "PW"}), "token_env: expected a token (token_env) or a user and password"},
		{"UserWithoutPassword", ok(map[string]any{"token_env": nil, "user": "me"}), "password_env: a user needs password_env"},
		{"PasswordWithoutUser", ok(map[string]any{"token_env": nil, "password_env": "PW"}), "user: password_env needs a user"},
		{"ZeroTimeout", ok(map[string]any{"timeout": uint64(0)}), "timeout: expected a number of seconds above zero"},
		{"NegativeRetries", ok(map[string]any{"retries": int64(-1)}), "retries: expected a whole number, zero or more"},
		{"TooManyRetries", ok(map[string]any{"retries": uint64(50)}), "retries: expected at most 10 retries"},
		{"ZeroMaxBytes", ok(map[string]any{"max_bytes": uint64(0)}), "max_bytes: expected a whole number above zero"},
		{"MaxBytesAsText", ok(map[string]any{"max_bytes": "1GB"}), "max_bytes: expected a number"},
		{"StateDirIsAFile", ok(map[string]any{"state_dir": "a-file"}), "state_dir: " + filepath.Join(dir, "a-file") + " is a file"},
		{"MissingCA", ok(map[string]any{"ca_file": "nothere.pem"}), "ca_file: cannot use"},
		{"NotACA", ok(map[string]any{"ca_file": "not-a-cert.pem"}), "ca_file: " + filepath.Join(dir, "not-a-cert.pem") + " holds no PEM certificate"},
		{"Typo", ok(map[string]any{"token": "PROVIDER_TOKEN"}), "token: unknown setting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.settings, dir)
			var se *connectors.SettingError
			if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want a setting error containing %q", err, c.want)
			}
		})
	}
	for _, good := range []map[string]any{
		ok(nil),
		ok(map[string]any{"token_env": nil}),
		ok(map[string]any{"url": nil, "urls": []any{"https://a.example.org/x", "https://b.example.org/y?z=1"}, "timeout": 2.5, "retries": uint64(0), "max_bytes": uint64(1 << 20)}),
		ok(map[string]any{"token_env": nil, "user": "me", "password_env": "PW", "state_dir": "state"}),
	} {
		c, err := newConnector(good, dir, os.Getenv)
		if err != nil {
			t.Errorf("%v: %v", good, err)
			continue
		}
		if good["state_dir"] == nil && c.stateDir != filepath.Join(dir, ".hitreflect-state") {
			t.Errorf("state_dir defaults to %s", c.stateDir)
		}
	}
}

// helpers

type server struct {
	*httptest.Server
	caFile string
}

// serve starts an HTTPS server on 127.0.0.1 and writes its certificate to
// a file for ca_file.
func serve(t *testing.T, h http.Handler) *server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are under test
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &server{Server: srv, caFile: ca}
}

// settings are a connector's settings against this server; nil values in
// change remove a key.
func (s *server) settings(t *testing.T, change map[string]any) map[string]any {
	out := map[string]any{"type": "https", "url": s.URL + "/file.csv", "ca_file": s.caFile,
		"state_dir": t.TempDir(), "timeout": uint64(20)}
	for k, v := range change {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func mustNew(t *testing.T, settings map[string]any, environ map[string]string) *Connector {
	t.Helper()
	c, err := newConnector(settings, "/", func(k string) string { return environ[k] })
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond // the schedule's shape, not its length, is under test
	return c
}

// A server that asks for time (429 or 503 with Retry-After, in seconds or
// as a date) gets it: the next request waits at least that long, however
// short the connector's own backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		status int
		after  func() string
	}{
		{"TooManyRequestsSeconds", http.StatusTooManyRequests, func() string { return "1" }},
		{"UnavailableUntilADate", http.StatusServiceUnavailable, func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var at []time.Time
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				at = append(at, time.Now())
				n := len(at)
				mu.Unlock()
				if n == 1 {
					w.Header().Set("Retry-After", c.after())
					http.Error(w, "slow down", c.status)
					return
				}
				w.Write([]byte("id,minutes\n1,30\n"))
			}))
			dst := t.TempDir()
			paths, err := connectortest.Fetch(t, mustNew(t, srv.settings(t, map[string]any{"url": srv.URL + "/sessions.csv"}), nil), dst)
			if err != nil || len(paths) != 1 {
				t.Fatalf("got %q, %v", paths, err)
			}
			mu.Lock()
			defer mu.Unlock()
			// An HTTP date has whole seconds: the wait may be up to a second shorter.
			if len(at) != 2 || at[1].Sub(at[0]) < 900*time.Millisecond {
				t.Errorf("requests at %v; want the second a second or more after the first", at)
			}
			connectortest.ExpectEntries(t, dst, "sessions.csv")
		})
	}
}
