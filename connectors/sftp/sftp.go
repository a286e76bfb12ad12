// Package sftp fetches files from a folder on an SFTP server.
//
//	connector:
//	  type: sftp
//	  host: sftp.example.org
//	  port: 22                          # default 22
//	  user: hit
//	  path: /exports/nwea               # the remote folder (relative: from the login folder)
//	  pattern: "AssessmentResults*.csv" # default "*"; names starting with a dot only if the pattern does
//	  key_file: keys/id_ed25519         # and/or password_env
//	  key_passphrase_env: NWEA_KEY_PASSPHRASE  # if the key is protected
//	  password_env: NWEA_SFTP_PASSWORD  # the NAME of the variable holding the password
//	  known_hosts: keys/known_hosts     # required
//	  archive_to: /exports/nwea/loaded  # optional: loaded files move here
//	  timeout: 30                       # seconds without an answer; default 30
//	  retries: 3                        # after the first try, when the connection fails or drops; default 3
//
// Relative key_file and known_hosts paths are relative to the config file.
//
// The server's host key is checked against a known_hosts file (unknown or
// changed keys are refused; there is no insecure default). Login is by key
// (key_file, with key_passphrase_env naming the variable that holds its
// passphrase) or by password (password_env naming the variable that holds
// it). Files are downloaded into the staging folder under a temporary name
// and renamed when complete; a file that changes while it downloads is
// downloaded again. A connection that cannot be made, stalls past timeout
// or drops half-way is tried again from the start, after 1 s, 2 s, 4 s
// (doubling, at most 2 minutes), up to retries times; a half-downloaded
// file never takes its final name. With archive_to, Archive moves a file on the server into
// that folder once the pipeline has loaded it.
package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/hitreflect/hitreflect/connectors"
)

// Settings are the keys the sftp connector reads.
var settingKeys = []string{"host", "port", "user", "path", "pattern", "key_file", "password_env",
	"key_passphrase_env", "known_hosts", "archive_to", "timeout", "max_bytes", "retries"}

const (
	defaultPort    = 22
	defaultTimeout = 30 * time.Second
	// attempts is how often a file that changes while it downloads is tried.
	attempts = 3
)

var (
	_ connectors.Archiver = (*Connector)(nil)
	_ connectors.Originer = (*Connector)(nil)
)

// Connector fetches the files in one remote folder that match a pattern.
type Connector struct {
	host          string
	port          int
	user          string
	dir           string // remote folder
	pattern       string
	keyFile       string
	passwordEnv   string
	passphraseEnv string
	knownHosts    string
	archiveTo     string
	timeout       time.Duration
	maxBytes      int64
	retries       int
	backoff       time.Duration // the first wait before trying again; doubles each time
	getenv        func(string) string
	now           func() time.Time

	// afterDownload, when set (by tests), runs after a file's bytes are in
	// and before the server is asked whether the file changed meanwhile.
	afterDownload func(remotePath string, attempt int)

	mu      sync.Mutex
	fetched map[string]remoteFile // by local path
	refused []connectors.Refusal  // of the last Fetch
}

// Refused lists the files the last Fetch did not download, and why: links
// (never followed on a server) and files over max_bytes.
func (c *Connector) Refused() []connectors.Refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused
}

// remoteFile is a remote file as it was when downloaded.
type remoteFile struct {
	path string
	size int64
	mod  time.Time
}

// New builds an sftp connector from its settings; baseDir resolves
// key_file and known_hosts.
func New(settings map[string]any, baseDir string) (connectors.Connector, error) {
	return newConnector(settings, baseDir, os.Getenv)
}

func newConnector(settings map[string]any, baseDir string, getenv func(string) string) (*Connector, error) {
	if err := connectors.Known(settings, settingKeys...); err != nil {
		return nil, err
	}
	c := &Connector{getenv: getenv, now: time.Now, fetched: map[string]remoteFile{}}
	var err error
	if c.host, err = connectors.String(settings, "host", true); err != nil {
		return nil, err
	}
	if strings.Contains(c.host, "://") || strings.ContainsAny(c.host, "/@ ") {
		return nil, &connectors.SettingError{Key: "host", Msg: fmt.Sprintf("expected a host name such as sftp.example.org, got %q (the user and port have their own settings)", c.host)}
	}
	if strings.Contains(c.host, ":") && net.ParseIP(c.host) == nil {
		return nil, &connectors.SettingError{Key: "host", Msg: fmt.Sprintf("expected a host name without a port, got %q (use port: for the port)", c.host)}
	}
	port, err := connectors.PositiveInt(settings, "port", defaultPort)
	if err != nil {
		return nil, err
	}
	if port > 65535 {
		return nil, &connectors.SettingError{Key: "port", Msg: fmt.Sprintf("expected a port between 1 and 65535, got %d", port)}
	}
	c.port = int(port)
	if c.user, err = connectors.String(settings, "user", true); err != nil {
		return nil, err
	}
	if c.dir, err = connectors.String(settings, "path", true); err != nil {
		return nil, err
	}
	if c.dir == "" {
		return nil, &connectors.SettingError{Key: "path", Msg: "expected the remote folder, e.g. /exports"}
	}
	if c.pattern, err = connectors.String(settings, "pattern", false); err != nil {
		return nil, err
	}
	if c.pattern == "" {
		c.pattern = "*"
	}
	if _, err := path.Match(c.pattern, "x"); err != nil || strings.Contains(c.pattern, "/") {
		return nil, &connectors.SettingError{Key: "pattern", Msg: fmt.Sprintf("%q is not a valid file name pattern (such as \"*.csv\"; folders go in path)", c.pattern)}
	}
	if c.keyFile, err = connectors.File(settings, "key_file", baseDir, false); err != nil {
		return nil, err
	}
	if c.passwordEnv, err = connectors.EnvName(settings, "password_env", false); err != nil {
		return nil, err
	}
	if c.passphraseEnv, err = connectors.EnvName(settings, "key_passphrase_env", false); err != nil {
		return nil, err
	}
	if c.keyFile == "" && c.passwordEnv == "" {
		return nil, &connectors.SettingError{Key: "key_file", Msg: "expected key_file (a private key) or password_env (the name of an environment variable holding the password)"}
	}
	if c.passphraseEnv != "" && c.keyFile == "" {
		return nil, &connectors.SettingError{Key: "key_passphrase_env", Msg: "a key passphrase needs key_file"}
	}
	if c.keyFile != "" {
		if err := checkKey(c.keyFile, c.passphraseEnv != ""); err != nil {
			return nil, err
		}
	}
	if c.knownHosts, err = connectors.File(settings, "known_hosts", baseDir, true); err != nil {
		if se, ok := err.(*connectors.SettingError); ok && se.Msg == "expected a value" {
			se.Msg = "expected a known_hosts file holding the server's host key (e.g. from ssh-keyscan, checked with the provider); hitreflect never connects to a server it cannot verify"
		}
		return nil, err
	}
	if _, err := knownhosts.New(c.knownHosts); err != nil && !errors.Is(err, fs.ErrPermission) {
		return nil, &connectors.SettingError{Key: "known_hosts", Msg: fmt.Sprintf("%s is not a known_hosts file: %v", c.knownHosts, err)}
	}
	if c.archiveTo, err = connectors.String(settings, "archive_to", false); err != nil {
		return nil, err
	}
	if c.archiveTo != "" && path.Clean(c.archiveTo) == path.Clean(c.dir) {
		return nil, &connectors.SettingError{Key: "archive_to", Msg: "expected a folder other than path (files moved there must leave the folder that is fetched)"}
	}
	if c.timeout, err = connectors.Seconds(settings, "timeout", defaultTimeout); err != nil {
		return nil, err
	}
	if c.maxBytes, err = connectors.PositiveInt(settings, "max_bytes", connectors.DefaultMaxFileBytes); err != nil {
		return nil, err
	}
	if c.retries, err = connectors.Retries(settings); err != nil {
		return nil, err
	}
	c.backoff = time.Second
	return c, nil
}

// checkKey reads a private key when it can, so that pointing key_file at the
// .pub file, or at a protected key without a passphrase, fails at config time.
func checkKey(file string, havePassphrase bool) error {
	b, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil // the nightly job's user may read it; this one may not
		}
		return &connectors.SettingError{Key: "key_file", Msg: err.Error()}
	}
	_, err = ssh.ParseRawPrivateKey(b)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &missing):
		if !havePassphrase {
			return &connectors.SettingError{Key: "key_file", Msg: fmt.Sprintf("%s is protected by a passphrase; name the environment variable holding it in key_passphrase_env", file)}
		}
		return nil
	default:
		hint := ""
		if strings.HasSuffix(file, ".pub") {
			hint = " (this is the public half; key_file needs the private key)"
		}
		return &connectors.SettingError{Key: "key_file", Msg: fmt.Sprintf("%s is not a private key%s: %v", file, hint, err)}
	}
}

func (c *Connector) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// Fetch downloads the matching files into dstDir, in name order.
func (c *Connector) Fetch(ctx context.Context, dstDir string) ([]string, error) {
	for attempt := 0; ; attempt++ {
		paths, err := c.fetchOnce(ctx, dstDir)
		var lost *connectionError
		switch {
		case err == nil:
			return paths, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !errors.As(err, &lost):
			return nil, err
		case attempt == c.retries && attempt == 0:
			return nil, err
		case attempt == c.retries:
			return nil, fmt.Errorf("%w (gave up after %d tries)", err, attempt+1)
		}
		if err := connectors.Backoff(ctx, c.backoff, attempt, 0); err != nil {
			return nil, err
		}
	}
}

// connectionError is a failure of the connection itself (it could not be
// made, went silent, or dropped), worth trying again, as opposed to a
// refusal (host key, login, permissions) that would only repeat.
type connectionError struct{ err error }

func (e *connectionError) Error() string { return e.err.Error() }
func (e *connectionError) Unwrap() error { return e.err }

// lostConnection marks err as a connectionError when it is one: a network
// error or timeout, or the SSH or SFTP session ending under the transfer.
func lostConnection(err error) error {
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, sftp.ErrSSHFxConnectionLost), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return &connectionError{err}
	}
	return err
}

// fetchOnce is one connection's fetch: list, then download each file.
func (c *Connector) fetchOnce(ctx context.Context, dstDir string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stage, err := connectors.NewStaging(dstDir)
	if err != nil {
		return nil, err
	}
	var paths []string
	var fetched map[string]remoteFile
	err = c.session(ctx, func(client *sftp.Client) error {
		files, err := c.list(ctx, client)
		if err != nil {
			return err
		}
		fetched = map[string]remoteFile{}
		for _, f := range files {
			local := stage.Reserve(path.Base(f.path))
			got, err := c.download(ctx, client, f, local)
			if err != nil {
				return err
			}
			paths = append(paths, local)
			fetched[local] = got
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.archiveTo != "" {
		c.mu.Lock()
		pruneGone(c.fetched)
		for local, f := range fetched {
			c.fetched[local] = f
		}
		c.mu.Unlock()
	}
	return paths, nil
}

// pruneGone forgets files whose staging copy is gone (an earlier run's
// staging folder, removed by the pipeline), so a long-running scheduler
// does not collect them.
func pruneGone(m map[string]remoteFile) {
	for local := range m {
		if _, err := os.Lstat(local); err != nil {
			delete(m, local)
		}
	}
}

// list returns the regular files in the remote folder that match the
// pattern, in name order. Names starting with a dot (hidden files, the
// temporary names many upload programs use) are left out unless the pattern
// itself starts with a dot.
func (c *Connector) list(ctx context.Context, client *sftp.Client) ([]remoteFile, error) {
	entries, err := client.ReadDirContext(ctx, c.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("remote folder %s does not exist on %s", c.dir, c.addr())
		}
		return nil, fmt.Errorf("list remote folder %s on %s: %w", c.dir, c.addr(), err)
	}
	var out []remoteFile
	var refused []connectors.Refusal
	defer func() {
		c.mu.Lock()
		c.refused = refused
		c.mu.Unlock()
	}()
	for _, e := range entries {
		name := e.Name()
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			continue // not a name a well-behaved server sends
		}
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(c.pattern, ".") {
			continue
		}
		if ok, _ := path.Match(c.pattern, name); !ok {
			continue
		}
		p := path.Join(c.dir, name)
		if e.Mode()&fs.ModeSymlink != 0 {
			// A link on the server may lead anywhere the login can read:
			// never followed.
			refused = append(refused, connectors.Refusal{Path: c.origin(p), Reason: "a link on the server: links are never followed; ask the provider to put the file itself in the folder"})
			continue
		}
		if !e.Mode().IsRegular() {
			continue
		}
		if e.Size() > c.maxBytes {
			refused = append(refused, connectors.Refusal{Path: c.origin(p), Reason: fmt.Sprintf("%d bytes, more than max_bytes (%d bytes) allows: not downloaded; raise max_bytes if the file is expected to be this large", e.Size(), c.maxBytes)})
			continue
		}
		out = append(out, remoteFile{path: p, size: e.Size(), mod: e.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// errChanged says a remote file changed while it was being downloaded.
type errChanged struct{ now remoteFile }

func (e *errChanged) Error() string { return "changed while it was downloaded" }

// download copies one remote file into local through the staging folder.
// The file's size and modification time are compared before and after the
// copy; when they differ (the provider is still writing it), the copy is
// thrown away and made again, up to attempts times.
func (c *Connector) download(ctx context.Context, client *sftp.Client, f remoteFile, local string) (remoteFile, error) {
	for attempt := 1; ; attempt++ {
		_, err := connectors.Write(ctx, local, func(w io.Writer) error {
			src, err := client.Open(f.path)
			if err != nil {
				return err
			}
			defer src.Close()
			n, err := src.WriteTo(w)
			if err != nil {
				return err
			}
			if c.afterDownload != nil {
				c.afterDownload(f.path, attempt)
			}
			st, err := client.Stat(f.path)
			if err != nil {
				return err
			}
			now := remoteFile{path: f.path, size: st.Size(), mod: st.ModTime()}
			if n != f.size || now.size != f.size || !now.mod.Equal(f.mod) {
				return &errChanged{now: now}
			}
			return nil
		})
		var changed *errChanged
		switch {
		case err == nil:
			return f, nil
		case ctx.Err() != nil:
			return f, ctx.Err()
		case errors.As(err, &changed) && attempt < attempts:
			f = changed.now
			continue
		case errors.As(err, &changed):
			return f, fmt.Errorf("%s on %s kept changing while it was downloaded (%d tries): it is still being written; it is fetched again on the next run", f.path, c.addr(), attempts)
		case errors.Is(err, fs.ErrNotExist):
			return f, fmt.Errorf("%s on %s disappeared while it was downloaded; it is fetched again on the next run if it comes back", f.path, c.addr())
		default:
			return f, fmt.Errorf("download %s from %s: %w", f.path, c.addr(), err)
		}
	}
}

// Origin is sftp://user@host:port/path of the remote file behind localPath.
func (c *Connector) Origin(localPath string) string {
	c.mu.Lock()
	f, ok := c.fetched[localPath]
	c.mu.Unlock()
	if !ok {
		return ""
	}
	return c.origin(f.path)
}

// origin is the sftp:// address of a remote path.
func (c *Connector) origin(remotePath string) string {
	return (&url.URL{Scheme: "sftp", User: url.User(c.user), Host: c.addr(), Path: remotePath}).String()
}

// Archive moves the remote file behind localPath (a path the last Fetch
// returned) into archive_to, creating that folder if needed. A file of the
// same name already archived is kept: the new one gets a time stamp in its
// name. A file that changed on the server since it was downloaded is left
// where it is (its new content has not been loaded). Without archive_to,
// Archive does nothing.
func (c *Connector) Archive(ctx context.Context, localPath string) error {
	if c.archiveTo == "" {
		return nil
	}
	c.mu.Lock()
	f, ok := c.fetched[localPath]
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("archive %s: not a file this sftp connector fetched", localPath)
	}
	err := c.session(ctx, func(client *sftp.Client) error {
		st, err := client.Stat(f.path)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("archive %s on %s: the file is no longer there", f.path, c.addr())
		}
		if err != nil {
			return fmt.Errorf("archive %s on %s: %w", f.path, c.addr(), err)
		}
		if st.Size() != f.size || !st.ModTime().Equal(f.mod) {
			return fmt.Errorf("archive %s on %s: the file changed on the server after it was downloaded; it stays in %s and loads on the next run", f.path, c.addr(), c.dir)
		}
		if err := client.MkdirAll(c.archiveTo); err != nil {
			return fmt.Errorf("create archive folder %s on %s: %w", c.archiveTo, c.addr(), err)
		}
		name := path.Base(f.path)
		target := path.Join(c.archiveTo, name)
		ext := path.Ext(name)
		stamped := strings.TrimSuffix(name, ext) + "." + c.now().UTC().Format("20060102T150405Z")
		for n := 1; ; n++ {
			if _, err := client.Lstat(target); errors.Is(err, fs.ErrNotExist) {
				break
			} else if err != nil {
				return fmt.Errorf("archive %s on %s: %w", f.path, c.addr(), err)
			}
			target = path.Join(c.archiveTo, stamped+ext)
			if n > 1 {
				target = path.Join(c.archiveTo, stamped+"-"+strconv.Itoa(n)+ext)
			}
		}
		if err := client.Rename(f.path, target); err != nil {
			return fmt.Errorf("move %s to %s on %s: %w", f.path, target, c.addr(), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.fetched, localPath)
	c.mu.Unlock()
	return nil
}

// session connects, runs fn with an sftp client, and disconnects. When ctx
// ends, the connection is closed at once, so fn's calls return; the error
// is then ctx.Err().
func (c *Connector) session(ctx context.Context, fn func(*sftp.Client) error) error {
	client, err := c.dial(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err // dial marks the failures worth trying again
	}
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer func() {
		stop()
		client.Close()
	}()
	sc, err := sftp.NewClient(client, sftp.UseConcurrentReads(true))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("start sftp on %s: %w (does the server offer the sftp subsystem?)", c.addr(), err)
	}
	defer sc.Close()
	err = fn(sc)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return lostConnection(err)
}

// dial opens an SSH connection and logs in.
func (c *Connector) dial(ctx context.Context) (*ssh.Client, error) {
	auth, err := c.authMethods()
	if err != nil {
		return nil, err
	}
	check, algos, err := c.hostKeyCheck()
	if err != nil {
		return nil, err
	}
	cfg := &ssh.ClientConfig{
		User:              c.user,
		Auth:              auth.methods,
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
		Timeout:           c.timeout,
	}
	d := net.Dialer{Timeout: c.timeout}
	raw, err := d.DialContext(ctx, "tcp", c.addr())
	if err != nil {
		return nil, lostConnection(fmt.Errorf("connect to %s: %w", c.addr(), err))
	}
	conn := &idleConn{Conn: raw, timeout: c.timeout}
	// The handshake gets the same time limit, and ends early with ctx.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	sconn, chans, reqs, err := ssh.NewClientConn(conn, c.addr(), cfg)
	stop()
	if err != nil {
		raw.Close()
		return nil, c.explain(err, auth)
	}
	return ssh.NewClient(sconn, chans, reqs), nil
}

// explain turns a failed handshake into a message a person can act on.
func (c *Connector) explain(err error, auth logins) error {
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return hk
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &connectionError{fmt.Errorf("connect to %s: no answer from the server within %v (timeout)", c.addr(), c.timeout)}
	}
	if strings.Contains(err.Error(), "no common algorithm for host key") {
		return fmt.Errorf("host key of %s does not match the known_hosts file %s: the file holds keys of other types for this host than the server offers "+
			"(%v). The server's key changed, or someone is intercepting the connection; refusing to connect", c.addr(), c.knownHosts, err)
	}
	// Some servers that allow no password logins end a password or
	// keyboard-interactive attempt with a bare failure message (type 51)
	// that the SSH library reports as unexpected.
	refusedOddly := strings.Contains(err.Error(), "unexpected message type 51")
	if strings.Contains(err.Error(), "unable to authenticate") || refusedOddly {
		msg := fmt.Sprintf("log in to %s as %q: the server refused %s", c.addr(), c.user, strings.Join(auth.tried, " and "))
		if auth.skipped != "" {
			msg += " (" + auth.skipped + ")"
		}
		if refusedOddly {
			msg += " (it may not allow password logins: log in with a key)"
		}
		return errors.New(msg)
	}
	return lostConnection(fmt.Errorf("connect to %s: %w", c.addr(), err))
}

// authMethods reads the key and the password the settings name.
func (c *Connector) authMethods() (logins, error) {
	var a logins
	if c.keyFile != "" {
		b, err := os.ReadFile(c.keyFile)
		if err != nil {
			return a, fmt.Errorf("read key_file: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(b)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) && c.passphraseEnv != "" {
			pass, perr := connectors.Secret(c.getenv, "key_passphrase_env", c.passphraseEnv)
			if perr != nil {
				return a, perr
			}
			signer, err = ssh.ParsePrivateKeyWithPassphrase(b, []byte(pass))
			if err != nil {
				return a, fmt.Errorf("open key_file %s with the passphrase in environment variable %s: %w", c.keyFile, c.passphraseEnv, err)
			}
		}
		if err != nil {
			return a, fmt.Errorf("read key_file %s: %w", c.keyFile, err)
		}
		a.methods = append(a.methods, ssh.PublicKeys(signer))
		a.tried = append(a.tried, "the key in "+c.keyFile)
	}
	if c.passwordEnv != "" {
		pw, err := connectors.Secret(c.getenv, "password_env", c.passwordEnv)
		if err != nil && c.keyFile != "" {
			// The key may be all the server wants; the password is a
			// second way in, so its absence is said only if the key fails.
			a.skipped = err.Error() + ", so the password was not tried"
			return a, nil
		}
		if err != nil {
			return a, err
		}
		a.methods = append(a.methods, ssh.Password(pw),
			// Servers that ask for the password through PAM prompts.
			ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				if len(questions) == 1 && !echos[0] {
					answers[0] = pw
				}
				return answers, nil
			}))
		a.tried = append(a.tried, "the password in environment variable "+c.passwordEnv)
	}
	return a, nil
}

// logins are the ways a connection logs in, named for a refusal's message.
type logins struct {
	methods []ssh.AuthMethod
	tried   []string
	skipped string // why a configured way was not tried
}

// HostKeyError is a server whose host key the known_hosts file does not
// vouch for: unknown, changed, or revoked.
type HostKeyError struct {
	Addr       string // host:port
	KnownHosts string // the file
	Key        ssh.PublicKey
	Changed    bool // the file holds other keys for this host
	Revoked    bool
}

func (e *HostKeyError) Error() string {
	fp := e.Key.Type() + " " + ssh.FingerprintSHA256(e.Key)
	host, port, _ := net.SplitHostPort(e.Addr)
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key of %s (%s) is marked revoked in %s; refusing to connect", e.Addr, fp, e.KnownHosts)
	case e.Changed:
		return fmt.Sprintf("host key of %s does not match the known_hosts file %s: the server offered %s. "+
			"The server's key changed, or someone is intercepting the connection; refusing to connect. "+
			"Ask the provider whether they changed their key before updating %s", e.Addr, e.KnownHosts, fp, e.KnownHosts)
	default:
		return fmt.Sprintf("host %s is not in the known_hosts file %s (it offered %s); refusing to connect to an unknown server. "+
			"If the provider confirms that fingerprint, add the host with: ssh-keyscan -p %s %s >> %s", e.Addr, e.KnownHosts, fp, port, host, e.KnownHosts)
	}
}

// hostKeyCheck reads known_hosts afresh (it may have been updated since the
// config was read) and returns the check, with the key algorithms the file
// holds for this host so the server offers a key that can match.
func (c *Connector) hostKeyCheck() (ssh.HostKeyCallback, []string, error) {
	cb, err := knownhosts.New(c.knownHosts)
	if err != nil {
		return nil, nil, fmt.Errorf("read known_hosts: %w", err)
	}
	check := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &re):
			return &HostKeyError{Addr: c.addr(), KnownHosts: c.knownHosts, Key: key, Revoked: true}
		case errors.As(err, &ke):
			return &HostKeyError{Addr: c.addr(), KnownHosts: c.knownHosts, Key: key, Changed: len(ke.Want) > 0}
		default:
			return err
		}
	}
	// Ask with a key no file holds: the error lists the keys known for the host.
	var algos []string
	var ke *knownhosts.KeyError
	if err := cb(c.addr(), &net.TCPAddr{IP: net.IPv4zero}, probeKey{}); errors.As(err, &ke) {
		for _, k := range ke.Want {
			for _, a := range algorithmsFor(k.Key.Type()) {
				if !slices.Contains(algos, a) {
					algos = append(algos, a)
				}
			}
		}
	}
	return check, algos, nil
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// probeKey is a public key that matches nothing.
type probeKey struct{}

func (probeKey) Type() string                        { return "hitreflect-probe" }
func (probeKey) Marshal() []byte                     { return []byte("\x00\x00\x00\x10hitreflect-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }

// idleConn fails a read or write that waits longer than timeout: a server
// that stops answering mid-transfer ends the fetch instead of hanging it.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(p)
}
