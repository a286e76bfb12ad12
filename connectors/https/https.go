// Package https fetches files from HTTPS export endpoints: one URL or a list.
//
// A bearer token (token_env) or a user and password (user, password_env)
// come from environment variables. Requests that fail with a 5xx status, a
// 408 or 429, or a network error are tried again with exponential backoff;
// other 4xx statuses are not. A download larger than max_bytes is refused.
// Unchanged content is skipped: once the pipeline has loaded a file
// (Archive), the URL's ETag, Last-Modified and content hash are kept in a
// small state file, the next request is conditional (If-None-Match,
// If-Modified-Since), and a 304 Not Modified, or a body with the same hash,
// returns no file. A 204 No Content also returns no file.
//
//	connector:
//	  type: https
//	  url: https://export.example.org/district/sessions.csv  # or urls: [..., ...]
//	  token_env: BRIGHTPATH_TOKEN   # bearer token; or user + password_env (basic auth)
//	  timeout: 30                   # seconds without an answer or data; default 30
//	  retries: 3                    # after the first try, on 5xx/408/429/network errors; default 3
//	  max_bytes: 1073741824         # default 1 GiB
//	  state_dir: .hitreflect-state  # default, beside the config file
//	  ca_file: keys/provider-ca.pem # optional: a private certificate authority
//
// The file's name is the one Content-Disposition gives, else the last
// element of the URL's path, sanitised. Errors show URLs with the values of
// their query left out, as these may hold keys.
package https

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hitreflect/hitreflect/connectors"
)

var settingKeys = []string{"url", "urls", "token_env", "user", "password_env", "timeout", "retries",
	"max_bytes", "state_dir", "ca_file"}

const (
	defaultTimeout  = 30 * time.Second
	defaultMaxBytes = 1 << 30
	defaultStateDir = ".hitreflect-state"
)

var (
	_ connectors.Archiver   = (*Connector)(nil)
	_ connectors.Originer   = (*Connector)(nil)
	_ connectors.Rememberer = (*Connector)(nil)
)

// Connector downloads a list of URLs.
type Connector struct {
	urls        []*url.URL
	tokenEnv    string
	user        string
	passwordEnv string
	timeout     time.Duration
	retries     int
	maxBytes    int64
	stateDir    string
	client      *http.Client
	getenv      func(string) string
	now         func() time.Time
	backoff     time.Duration // the first wait before trying again; doubles each time

	mu      sync.Mutex
	pending map[string]state // by local path: what Archive records
}

// state is what is remembered about a URL once its file has loaded.
type state struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	LoadedAt     time.Time `json:"loaded_at"`
}

// New builds an https connector from its settings; baseDir resolves
// state_dir and ca_file.
func New(settings map[string]any, baseDir string) (connectors.Connector, error) {
	return newConnector(settings, baseDir, os.Getenv)
}

func newConnector(settings map[string]any, baseDir string, getenv func(string) string) (*Connector, error) {
	if err := connectors.Known(settings, settingKeys...); err != nil {
		return nil, err
	}
	c := &Connector{getenv: getenv, now: time.Now, backoff: time.Second, pending: map[string]state{}}
	one, err := connectors.String(settings, "url", false)
	if err != nil {
		return nil, err
	}
	list, err := connectors.Strings(settings, "urls")
	if err != nil {
		return nil, err
	}
	switch {
	case one != "" && list != nil:
		return nil, &connectors.SettingError{Key: "urls", Msg: "expected url or urls, not both"}
	case one != "":
		u, err := parseURL(one)
		if err != nil {
			return nil, &connectors.SettingError{Key: "url", Msg: err.Error()}
		}
		c.urls = []*url.URL{u}
	case len(list) > 0:
		for i, s := range list {
			u, err := parseURL(s)
			if err != nil {
				return nil, &connectors.SettingError{Key: fmt.Sprintf("urls[%d]", i), Msg: err.Error()}
			}
			c.urls = append(c.urls, u)
		}
	default:
		return nil, &connectors.SettingError{Key: "url", Msg: "expected the https:// address of the export (url), or a list of them (urls)"}
	}
	if c.tokenEnv, err = connectors.EnvName(settings, "token_env", false); err != nil {
		return nil, err
	}
	if c.user, err = connectors.String(settings, "user", false); err != nil {
		return nil, err
	}
	if c.passwordEnv, err = connectors.EnvName(settings, "password_env", false); err != nil {
		return nil, err
	}
	switch {
	case c.tokenEnv != "" && (c.user != "" || c.passwordEnv != ""):
		return nil, &connectors.SettingError{Key: "token_env", Msg: "expected a token (token_env) or a user and password (user, password_env), not both"}
	case c.user != "" && c.passwordEnv == "":
		return nil, &connectors.SettingError{Key: "password_env", Msg: "a user needs password_env, the name of an environment variable holding the password"}
	case c.passwordEnv != "" && c.user == "":
		return nil, &connectors.SettingError{Key: "user", Msg: "password_env needs a user"}
	}
	if c.timeout, err = connectors.Seconds(settings, "timeout", defaultTimeout); err != nil {
		return nil, err
	}
	if c.retries, err = connectors.Retries(settings); err != nil {
		return nil, err
	}
	if c.maxBytes, err = connectors.PositiveInt(settings, "max_bytes", defaultMaxBytes); err != nil {
		return nil, err
	}
	if c.stateDir, err = connectors.String(settings, "state_dir", false); err != nil {
		return nil, err
	}
	if c.stateDir == "" {
		c.stateDir = defaultStateDir
	}
	if !filepath.IsAbs(c.stateDir) {
		c.stateDir = filepath.Join(baseDir, c.stateDir)
	}
	if st, err := os.Stat(c.stateDir); err == nil && !st.IsDir() {
		return nil, &connectors.SettingError{Key: "state_dir", Msg: fmt.Sprintf("%s is a file, expected a folder (it is created when needed)", c.stateDir)}
	}
	caFile, err := connectors.File(settings, "ca_file", baseDir, false)
	if err != nil {
		return nil, err
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(caFile)
		if err != nil && !errors.Is(err, fs.ErrPermission) {
			return nil, &connectors.SettingError{Key: "ca_file", Msg: err.Error()}
		}
		if err == nil && !pool.AppendCertsFromPEM(pem) {
			return nil, &connectors.SettingError{Key: "ca_file", Msg: fmt.Sprintf("%s holds no PEM certificate", caFile)}
		}
		tlsConfig.RootCAs = pool
	}
	c.client = newClient(tlsConfig, c.timeout)
	return c, nil
}

// parseURL accepts an absolute https URL without credentials in it.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("expected an https:// address, got %q (plain http would send the token and the files unencrypted)", s)
	}
	if u.User != nil {
		return nil, errors.New("the URL holds a user or password: put the user in user and the password in an environment variable named by password_env")
	}
	u.Fragment = ""
	return u, nil
}

func newClient(tlsConfig *tls.Config, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" {
				return fmt.Errorf("refusing to follow a redirect to %s: not https", redact(req.URL))
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
}

// Fetch downloads every URL whose content changed since it last loaded, in
// the order the config lists them.
func (c *Connector) Fetch(ctx context.Context, dstDir string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	auth, err := c.authorization()
	if err != nil {
		return nil, err
	}
	stage, err := connectors.NewStaging(dstDir)
	if err != nil {
		return nil, err
	}
	var paths []string
	pending := map[string]state{}
	for _, u := range c.urls {
		local, st, err := c.get(ctx, u, auth, stage)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if local != "" {
			paths = append(paths, local)
			pending[local] = st
		}
	}
	c.mu.Lock()
	// Forget files of earlier runs whose staging folder is gone.
	for p := range c.pending {
		if _, err := os.Lstat(p); err != nil {
			delete(c.pending, p)
		}
	}
	for p, st := range pending {
		c.pending[p] = st
	}
	c.mu.Unlock()
	return paths, nil
}

// Origin is the URL behind localPath, without user or password and with
// its query's values left out, as in messages: they may hold an access key,
// and the files table is read by whoever reads the warehouse.
func (c *Connector) Origin(localPath string) string {
	c.mu.Lock()
	st, ok := c.pending[localPath]
	c.mu.Unlock()
	if !ok {
		return ""
	}
	u, err := url.Parse(st.URL)
	if err != nil {
		return ""
	}
	u.User = nil
	return redact(u)
}

// Recall forgets each address whose remembered content the warehouse does
// not hold (loaded says which it does): the next fetch downloads it again.
func (c *Connector) Recall(loaded func(sha256 string) bool) error {
	var errs []error
	for _, u := range c.urls {
		st := c.loadState(u)
		if st.SHA256 == "" || loaded(st.SHA256) {
			continue
		}
		if err := os.Remove(c.stateFile(u)); err != nil && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("forget %s: %w", redact(u), err))
		}
	}
	return errors.Join(errs...)
}

// Archive remembers that the file behind localPath (a path the last Fetch
// returned) loaded: its URL's ETag, Last-Modified and content hash go to the
// state file, so the next fetch skips the URL while its content is the same.
func (c *Connector) Archive(_ context.Context, localPath string) error {
	c.mu.Lock()
	st, ok := c.pending[localPath]
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("archive %s: not a file this https connector fetched", localPath)
	}
	st.LoadedAt = c.now().UTC()
	if err := c.saveState(st); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.pending, localPath)
	c.mu.Unlock()
	return nil
}

// authorization is the Authorization header, read from the environment.
func (c *Connector) authorization() (string, error) {
	switch {
	case c.tokenEnv != "":
		tok, err := connectors.Secret(c.getenv, "token_env", c.tokenEnv)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	case c.user != "":
		pw, err := connectors.Secret(c.getenv, "password_env", c.passwordEnv)
		if err != nil {
			return "", err
		}
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(c.user, pw)
		return r.Header.Get("Authorization"), nil
	}
	return "", nil
}

// retryable is a failure worth trying again: a 5xx, 408 or 429 status, or a
// network error.
type retryable struct {
	err   error
	after time.Duration // the server's Retry-After, if any
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// get downloads one URL, trying again with backoff. It returns no path when
// the content is unchanged.
func (c *Connector) get(ctx context.Context, u *url.URL, auth string, stage *connectors.Staging) (string, state, error) {
	prev := c.loadState(u)
	var local string // reserved once, so a retry replaces rather than duplicates
	for attempt := 0; ; attempt++ {
		p, st, err := c.try(ctx, u, auth, prev, stage, &local)
		if err == nil {
			return p, st, nil
		}
		if ctx.Err() != nil {
			return "", st, ctx.Err()
		}
		var r *retryable
		if !errors.As(err, &r) {
			return "", st, err
		}
		if attempt == c.retries {
			if attempt == 0 {
				return "", st, err
			}
			return "", st, fmt.Errorf("%w (gave up after %d tries)", err, attempt+1)
		}
		if err := connectors.Backoff(ctx, c.backoff, attempt, r.after); err != nil {
			return "", st, err
		}
	}
}

var errUnchanged = errors.New("content unchanged")

// try makes one request.
func (c *Connector) try(ctx context.Context, u *url.URL, auth string, prev state, stage *connectors.Staging, local *string) (string, state, error) {
	// The body may take long; what must not happen is a long silence. The
	// request's context is cancelled when no byte came for timeout.
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", state{}, fmt.Errorf("GET %s: %w", redact(u), err)
	}
	req.Header.Set("User-Agent", "hitreflect")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return "", state{}, c.requestError(u, err)
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified, code == http.StatusNoContent:
		return "", state{}, nil // nothing new
	case code == http.StatusOK:
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return "", state{}, fmt.Errorf("%s answered %s: %s", redact(u), resp.Status, c.refused())
	case code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		return "", state{}, &retryable{err: fmt.Errorf("GET %s: %s%s", redact(u), resp.Status, snippet(resp.Body)), after: retryAfter(resp, c.now())}
	default:
		return "", state{}, fmt.Errorf("GET %s: %s%s", redact(u), resp.Status, snippet(resp.Body))
	}
	if resp.ContentLength > c.maxBytes {
		return "", state{}, c.tooLarge(u, resp.ContentLength)
	}
	if *local == "" {
		*local = stage.Reserve(fileName(resp, u))
	}
	idle := time.AfterFunc(c.timeout, func() { cancel(errIdle) })
	defer idle.Stop()
	h := sha256.New()
	var size int64
	_, err = connectors.Write(ctx, *local, func(w io.Writer) error {
		body := &watchdog{r: resp.Body, t: idle, d: c.timeout}
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(body, c.maxBytes+1))
		size = n
		switch {
		case err != nil && context.Cause(reqCtx) == errIdle:
			return &retryable{err: fmt.Errorf("GET %s: no data from the server for %v (timeout)", redact(u), c.timeout)}
		case err != nil:
			return &retryable{err: fmt.Errorf("GET %s: download broke off after %d bytes: %w", redact(u), n, err)}
		case n > c.maxBytes:
			return c.tooLarge(u, -1)
		case prev.SHA256 != "" && prev.SHA256 == hex.EncodeToString(h.Sum(nil)):
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		// The content already loaded; remember the server's new validators
		// so the next request can be answered with a 304.
		if etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"); etag != prev.ETag || lm != prev.LastModified {
			prev.ETag, prev.LastModified = etag, lm
			_ = c.saveState(prev) // only an optimisation: the hash still tells
		}
		return "", state{}, nil
	}
	if err != nil {
		return "", state{}, err
	}
	return *local, state{URL: u.String(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		SHA256: hexSum(h), Size: size}, nil
}

var errIdle = errors.New("idle")

// watchdog pushes the idle timer back whenever data arrives.
type watchdog struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.t.Reset(w.d)
	}
	return n, err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

func (c *Connector) tooLarge(u *url.URL, n int64) error {
	size := "more"
	if n > 0 {
		size = strconv.FormatInt(n, 10) + " bytes, more"
	}
	return fmt.Errorf("%s is %s than max_bytes (%d bytes) allows; raise max_bytes if the file is expected to be this large", redact(u), size, c.maxBytes)
}

// refused says which credentials the server turned down.
func (c *Connector) refused() string {
	switch {
	case c.tokenEnv != "":
		return "the token in environment variable " + c.tokenEnv + " (token_env) was refused"
	case c.user != "":
		return fmt.Sprintf("user %q with the password in environment variable %s (password_env) was refused", c.user, c.passwordEnv)
	}
	return "the server wants a login; set token_env, or user and password_env"
}

// requestError explains a request that got no answer.
func (c *Connector) requestError(u *url.URL, err error) error {
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &hostErr):
		return fmt.Errorf("GET %s: the server's certificate is not trusted (%v); if the provider uses a private certificate authority, name its certificate in ca_file", redact(u), err)
	case strings.Contains(err.Error(), "refusing to follow a redirect"), strings.Contains(err.Error(), "stopped after 10 redirects"):
		return fmt.Errorf("GET %s: %w", redact(u), err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &retryable{err: fmt.Errorf("GET %s: no answer within %v (timeout)", redact(u), c.timeout)}
	}
	return &retryable{err: fmt.Errorf("GET %s: %w", redact(u), err)}
}

// fileName is the name the server gives in Content-Disposition, or else the
// last element of the URL's path (sanitised later by the staging folder).
func fileName(resp *http.Response, u *url.URL) string {
	if cd := resp.Header.Get("Content-Disposition"); cd != "" {
		if _, params, err := mime.ParseMediaType(cd); err == nil && params["filename"] != "" {
			return params["filename"]
		}
	}
	if base := path.Base(u.Path); base != "/" && base != "." && base != "" {
		return base
	}
	return "download"
}

// retryAfter reads a Retry-After header (seconds or a date).
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// snippet is the start of an error body, when it is short readable text.
func snippet(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 200))
	s := strings.TrimSpace(string(b))
	if s == "" || strings.HasPrefix(s, "<") {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	return ": " + s
}

// redact shows a URL without the values of its query, which may hold keys.
func redact(u *url.URL) string {
	r := *u
	if r.RawQuery != "" {
		q := r.Query()
		var parts []string
		for k := range q {
			parts = append(parts, url.QueryEscape(k)+"=…")
		}
		slices.Sort(parts)
		r.RawQuery = strings.Join(parts, "&")
	}
	return r.String()
}

// stateFile is where a URL's state is kept.
func (c *Connector) stateFile(u *url.URL) string {
	sum := sha256.Sum256([]byte(u.String()))
	return filepath.Join(c.stateDir, "https-"+hex.EncodeToString(sum[:8])+".json")
}

// loadState reads what is remembered about a URL; a missing or unreadable
// state file means nothing is (the file is then downloaded).
func (c *Connector) loadState(u *url.URL) state {
	b, err := os.ReadFile(c.stateFile(u))
	if err != nil {
		return state{}
	}
	var st state
	if json.Unmarshal(b, &st) != nil || st.URL != u.String() {
		return state{}
	}
	return st
}

func (c *Connector) saveState(st state) error {
	u, err := url.Parse(st.URL)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.stateDir, 0o700); err != nil {
		return fmt.Errorf("remember %s: %w", redact(u), err)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	file := c.stateFile(u)
	tmp, err := os.CreateTemp(c.stateDir, ".state-*")
	if err != nil {
		return fmt.Errorf("remember %s: %w", redact(u), err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("remember %s: %w", redact(u), errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("remember %s: %w", redact(u), err)
	}
	return nil
}
