package sftp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hitreflect/hitreflect/connectors"
	"github.com/hitreflect/hitreflect/connectors/connectortest"
)

// Every test against sshd is bounded: a hung server fails the test, not the run.
const testLimit = 60 * time.Second

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})
	connectortest.Run(t, func(t *testing.T, files map[string][]byte) connectors.Connector {
		remote := t.TempDir()
		for name, b := range files {
			writeFile(t, filepath.Join(remote, name), string(b))
		}
		return mustNew(t, srv.settings(remote), nil)
	})
}

func TestKeyAuth(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})
	remote := t.TempDir()
	writeFile(t, filepath.Join(remote, "AssessmentResults_2025-09.csv"), "StudentID,TestRITScore\n0042,210\n")
	writeFile(t, filepath.Join(remote, "AssessmentResults_2025-12.csv"), "StudentID,TestRITScore\n0042,214\n")
	writeFile(t, filepath.Join(remote, "readme.txt"), "not matched")
	writeFile(t, filepath.Join(remote, ".AssessmentResults_2026-01.csv.filepart"), "an upload in progress")
	writeFile(t, filepath.Join(remote, "AssessmentResults_old.csv", "inside.csv"), "a folder is not a file")
	if err := os.Symlink(filepath.Join(remote, "AssessmentResults_2025-09.csv"), filepath.Join(remote, "AssessmentResults_link.csv")); err != nil {
		t.Fatal(err)
	}
	settings := srv.settings(remote)
	settings["pattern"] = "AssessmentResults*.csv"

	t.Run("PlainKey", func(t *testing.T) {
		t.Parallel()
		dst := t.TempDir()
		paths, err := connectortest.Fetch(t, mustNew(t, settings, nil), dst)
		if err != nil {
			t.Fatal(err)
		}
		c := mustNew(t, settings, nil)
		paths, err = connectortest.Fetch(t, c, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"AssessmentResults_2025-09.csv", "AssessmentResults_2025-12.csv"}
		if got := connectortest.Names(paths); !slices.Equal(got, want) {
			t.Errorf("fetched %q, want %q", got, want)
		}
		// A link on the server is never followed: refused, with the reason.
		if r := c.Refused(); len(r) != 1 || !strings.HasSuffix(r[0].Path, "/AssessmentResults_link.csv") || !strings.Contains(r[0].Reason, "links are never followed") {
			t.Errorf("refused %v", r)
		}
		if b, _ := os.ReadFile(paths[1]); string(b) != "StudentID,TestRITScore\n0042,214\n" {
			t.Errorf("content %q", b)
		}
	})

	t.Run("KeyWithPassphrase", func(t *testing.T) {
		t.Parallel()
		keyFile := filepath.Join(t.TempDir(), "id_protected")
		pub := writeKey(t, keyFile, "correct horse")
		// Authorise the protected key too: authorized_keys is the server's own file.
		appendFile(t, filepath.Join(srv.dir, "authorized_keys"), string(ssh.MarshalAuthorizedKey(pub)))
		s := clone(settings)
		s["key_file"] = keyFile
		if _, err := newConnector(s, "/", env(nil)); err == nil || !strings.Contains(err.Error(), "key_file: ") || !strings.Contains(err.Error(), "protected by a passphrase") {
			t.Errorf("a protected key without key_passphrase_env: %v", err)
		}
		s["key_passphrase_env"] = "SFTP_KEY_PASSPHRASE"
		paths, err := connectortest.Fetch(t, mustNew(t, s, map[string]string{"SFTP_KEY_PASSPHRASE": "correct horse"}), t.TempDir())
		if err != nil || len(paths) != 2 {
			t.Errorf("fetch with a protected key: %q, %v", paths, err)
		}
		_, err = connectortest.Fetch(t, mustNew(t, s, map[string]string{"SFTP_KEY_PASSPHRASE": "wrong horse"}), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "passphrase in environment variable SFTP_KEY_PASSPHRASE") {
			t.Errorf("wrong passphrase: %v", err)
		}
		_, err = connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "environment variable SFTP_KEY_PASSPHRASE (named by key_passphrase_env) is not set") {
			t.Errorf("passphrase variable not set: %v", err)
		}
	})

	t.Run("MaxBytes", func(t *testing.T) {
		t.Parallel()
		s := clone(settings)
		s["max_bytes"] = 31 // the files are 32 bytes
		c := mustNew(t, s, nil)
		paths, err := connectortest.Fetch(t, c, t.TempDir())
		if err != nil || len(paths) != 0 {
			t.Errorf("fetched %q, %v", paths, err)
		}
		if r := c.Refused(); len(r) != 3 || !strings.Contains(r[1].Reason+r[2].Reason, "32 bytes, more than max_bytes (31 bytes) allows: not downloaded") {
			t.Errorf("refused %v", r)
		}
	})

	t.Run("KeyNotAuthorised", func(t *testing.T) {
		t.Parallel()
		s := clone(settings)
		s["key_file"] = filepath.Join(t.TempDir(), "id_stranger")
		writeKey(t, s["key_file"].(string), "")
		_, err := connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), `log in to `+srv.addr+` as "`+srv.user+`": the server refused the key in `) {
			t.Errorf("unauthorised key: %v", err)
		}
	})

	t.Run("MissingRemoteFolder", func(t *testing.T) {
		t.Parallel()
		s := clone(settings)
		s["path"] = filepath.Join(remote, "nowhere")
		_, err := connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "remote folder "+filepath.Join(remote, "nowhere")+" does not exist on "+srv.addr) {
			t.Errorf("missing folder: %v", err)
		}
	})
}

func TestHostKeyRefused(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})
	remote := t.TempDir()
	writeFile(t, filepath.Join(remote, "a.csv"), "a\n")
	otherEd := writeKey(t, filepath.Join(t.TempDir(), "other"), "")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherEC, _ := ssh.NewPublicKey(&ecKey.PublicKey)

	cases := []struct {
		name, knownHosts, want string
	}{
		{"Unknown", srv.writeKnownHosts(t, "known_hosts"),
			"host " + srv.addr + " is not in the known_hosts file"},
		{"Changed", srv.writeKnownHosts(t, "known_hosts", otherEd),
			"host key of " + srv.addr + " does not match the known_hosts file"},
		{"ChangedToAnotherKeyType", srv.writeKnownHosts(t, "known_hosts", otherEC),
			"host key of " + srv.addr + " does not match the known_hosts file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := srv.settings(remote)
			s["known_hosts"] = c.knownHosts
			dst := t.TempDir()
			paths, err := connectortest.Fetch(t, mustNew(t, s, nil), dst)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "refusing to connect") {
				t.Fatalf("got %q, %v; want an error containing %q", paths, err, c.want)
			}
			if entries, _ := os.ReadDir(dst); len(entries) > 0 {
				t.Errorf("refused server still left %v", entries)
			}
			t.Log(err)
		})
	}
	t.Run("UnknownSaysHowToAdd", func(t *testing.T) {
		t.Parallel()
		s := srv.settings(remote)
		s["known_hosts"] = cases[0].knownHosts
		_, err := connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
		var hk *HostKeyError
		if !errors.As(err, &hk) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(srv.hostKey)) ||
			!strings.Contains(err.Error(), "ssh-keyscan -p "+srv.addr[strings.LastIndex(srv.addr, ":")+1:]+" 127.0.0.1 >> ") {
			t.Errorf("%v", err)
		}
	})
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{password: true})
	remote := t.TempDir()
	writeFile(t, filepath.Join(remote, "a.csv"), "a\n")
	s := srv.settings(remote)
	delete(s, "key_file")
	s["password_env"] = "HITREFLECT_SFTP_PASSWORD"

	_, err := connectortest.Fetch(t, mustNew(t, s, map[string]string{"HITREFLECT_SFTP_PASSWORD": "not-the-password"}), t.TempDir())
	want := `log in to ` + srv.addr + ` as "` + srv.user + `": the server refused the password in environment variable HITREFLECT_SFTP_PASSWORD`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("wrong password: got %v, want %q", err, want)
	}
	// (An sshd not run as root cannot check passwords at all, so only as root
	// does its log show that it judged this one.)
	if os.Geteuid() == 0 && !strings.Contains(srv.log.String(), "Failed password for") {
		t.Errorf("the server did not see a password attempt; its log:\n%s", srv.log)
	}
	_, err = connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "environment variable HITREFLECT_SFTP_PASSWORD (named by password_env) is not set") {
		t.Errorf("unset password variable: %v", err)
	}
}

// key_file and password_env both set, the password's variable unset: the
// key alone logs in; if the server refuses the key, the message says the
// password was not tried and why.
func TestKeyWithUnsetPasswordVariable(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{password: true})
	remote := t.TempDir()
	writeFile(t, filepath.Join(remote, "a.csv"), "a\n")
	s := srv.settings(remote)
	s["password_env"] = "HITREFLECT_SFTP_PASSWORD"
	if paths, err := connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir()); err != nil || len(paths) != 1 {
		t.Fatalf("the key alone: %q, %v", paths, err)
	}
	s["key_file"] = filepath.Join(t.TempDir(), "id_stranger")
	writeKey(t, s["key_file"].(string), "")
	_, err := connectortest.Fetch(t, mustNew(t, s, nil), t.TempDir())
	want := `log in to ` + srv.addr + ` as "` + srv.user + `": the server refused the key in ` + s["key_file"].(string) +
		` (environment variable HITREFLECT_SFTP_PASSWORD (named by password_env) is not set, so the password was not tried)`
	if err == nil || err.Error() != want {
		t.Errorf("a refused key, no password:\n got %v\nwant %s", err, want)
	}
}

// A server allowing no password logins may end a password attempt with a
// message the SSH library calls unexpected (seen with OpenSSH and
// keyboard-interactive); it reads as a refusal, with what to do.
func TestUnexpectedRefusalIsExplained(t *testing.T) {
	t.Parallel()
	c := &Connector{host: "sftp.example.org", port: 22, user: "hit", passwordEnv: "P"}
	err := c.explain(errors.New("ssh: handshake failed: ssh: unexpected message type 51 (expected 60)"),
		logins{tried: []string{"the password in environment variable P"}})
	want := `log in to sftp.example.org:22 as "hit": the server refused the password in environment variable P (it may not allow password logins: log in with a key)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// A provider still writing a file while hitreflect downloads it: the copy
// that does not match the file's final size and time is thrown away.
func TestFileChangingMidTransfer(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})

	t.Run("DownloadedAgainOnceItSettles", func(t *testing.T) {
		t.Parallel()
		remote := t.TempDir()
		file := writeFile(t, filepath.Join(remote, "sessions.csv"), "id,minutes\n1,30\n")
		c := mustNew(t, srv.settings(remote), nil)
		var tries []int
		c.afterDownload = func(p string, attempt int) {
			tries = append(tries, attempt)
			if attempt == 1 {
				appendFile(t, file, "2,45\n") // the upload goes on
				// A file that appears mid-transfer waits for the next fetch.
				writeFile(t, filepath.Join(remote, "sessions_late.csv"), "id,minutes\n3,20\n")
			}
		}
		dst := t.TempDir()
		paths, err := connectortest.Fetch(t, c, dst)
		if err != nil || len(paths) != 1 {
			t.Fatalf("fetch: %q, %v", paths, err)
		}
		if b, _ := os.ReadFile(paths[0]); string(b) != "id,minutes\n1,30\n2,45\n" {
			t.Errorf("got %q, want the whole file", b)
		}
		if !slices.Equal(tries, []int{1, 2}) {
			t.Errorf("attempts %v, want [1 2]", tries)
		}
		connectortest.ExpectEntries(t, dst, "sessions.csv")
		c.afterDownload = nil
		if paths, err = connectortest.Fetch(t, c, dst); err != nil || !slices.Equal(connectortest.Names(paths), []string{"sessions.csv", "sessions_late.csv"}) {
			t.Errorf("next fetch: %q, %v", paths, err)
		}
	})

	t.Run("NeverSettles", func(t *testing.T) {
		t.Parallel()
		remote := t.TempDir()
		writeFile(t, filepath.Join(remote, "a_done.csv"), "id\n1\n")
		file := writeFile(t, filepath.Join(remote, "b_growing.csv"), "id\n1\n")
		c := mustNew(t, srv.settings(remote), nil)
		c.afterDownload = func(p string, _ int) {
			if strings.HasSuffix(p, "b_growing.csv") {
				appendFile(t, file, "2\n")
			}
		}
		dst := t.TempDir()
		paths, err := connectortest.Fetch(t, c, dst)
		if err == nil || len(paths) != 0 || !strings.Contains(err.Error(), "b_growing.csv on "+srv.addr+" kept changing while it was downloaded (3 tries)") {
			t.Fatalf("got %q, %v", paths, err)
		}
		// The complete file may stay in the staging folder; the growing one never lands.
		connectortest.ExpectEntries(t, dst, "a_done.csv")
	})
}

func TestArchiveAfterLoad(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})
	base := t.TempDir()
	remote, archive := filepath.Join(base, "outbox"), filepath.Join(base, "outbox-done", "2025")
	writeFile(t, filepath.Join(remote, "a.csv"), "a\n")
	writeFile(t, filepath.Join(remote, "b.csv"), "b\n")
	writeFile(t, filepath.Join(remote, "c.csv"), "c\n")
	s := srv.settings(remote)
	s["archive_to"] = archive
	c := mustNew(t, s, nil)
	c.now = func() time.Time { return time.Date(2025, 9, 3, 2, 0, 0, 0, time.UTC) }
	var _ connectors.Archiver = c
	dst := t.TempDir()
	paths, err := connectortest.Fetch(t, c, dst)
	if err != nil || len(paths) != 3 {
		t.Fatalf("fetch: %q, %v", paths, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), testLimit)
	defer cancel()

	// The warehouse records where each file came from, not its staged copy.
	want := fmt.Sprintf("sftp://%s@%s/%s", srv.user, net.JoinHostPort(srv.host, strconv.Itoa(srv.port)),
		strings.TrimPrefix(filepath.ToSlash(filepath.Join(remote, "a.csv")), "/"))
	if got := c.Origin(paths[0]); got != want {
		t.Errorf("origin of a.csv: %q, want %q", got, want)
	}
	if got := c.Origin(filepath.Join(dst, "elsewhere.csv")); got != "" {
		t.Errorf("origin of a file it did not fetch: %q", got)
	}

	// a.csv loaded: it moves to the archive folder, which is created.
	if err := c.Archive(ctx, paths[0]); err != nil {
		t.Fatal(err)
	}
	connectortest.ExpectEntries(t, archive, "a.csv")
	if b, _ := os.ReadFile(filepath.Join(archive, "a.csv")); string(b) != "a\n" {
		t.Errorf("archived a.csv holds %q", b)
	}
	// Twice is an error: the connector no longer knows it.
	if err := c.Archive(ctx, paths[0]); err == nil || !strings.Contains(err.Error(), "not a file this sftp connector fetched") {
		t.Errorf("second archive: %v", err)
	}
	// b.csv was not loaded (rejected): nothing happens to it. c.csv changed
	// on the server after it was downloaded: it stays, to load next time.
	appendFile(t, filepath.Join(remote, "c.csv"), "c2\n")
	if err := c.Archive(ctx, paths[2]); err == nil || !strings.Contains(err.Error(), "changed on the server after it was downloaded") {
		t.Errorf("archive of a changed file: %v", err)
	}
	connectortest.ExpectEntries(t, remote, "b.csv", "c.csv")
	paths, err = connectortest.Fetch(t, c, dst)
	if err != nil || !slices.Equal(connectortest.Names(paths), []string{"b.csv", "c.csv"}) {
		t.Fatalf("next fetch: %q, %v", paths, err)
	}

	// A provider re-sends a.csv: the archived copy is kept.
	writeFile(t, filepath.Join(remote, "a.csv"), "a again\n")
	paths, err = connectortest.Fetch(t, c, dst)
	if err != nil || len(paths) != 3 {
		t.Fatalf("fetch: %q, %v", paths, err)
	}
	for _, p := range paths {
		if err := c.Archive(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	connectortest.ExpectEntries(t, remote)
	connectortest.ExpectEntries(t, archive, "a.20250903T020000Z.csv", "a.csv", "b.csv", "c.csv")
	if b, _ := os.ReadFile(filepath.Join(archive, "a.20250903T020000Z.csv")); string(b) != "a again\n" {
		t.Errorf("re-sent a.csv archived as %q", b)
	}

	// Without archive_to, Archive leaves the file where it is.
	writeFile(t, filepath.Join(remote, "d.csv"), "d\n")
	plain := mustNew(t, srv.settings(remote), nil)
	paths, err = connectortest.Fetch(t, plain, dst)
	if err != nil || len(paths) != 1 {
		t.Fatalf("fetch: %q, %v", paths, err)
	}
	if err := plain.Archive(ctx, paths[0]); err != nil {
		t.Error(err)
	}
	connectortest.ExpectEntries(t, remote, "d.csv")
}

// Remote names are the server's to choose; a hostile or careless one cannot
// put a file outside the staging folder. A name with / cannot be on disk,
// but backslashes and dots can, and come through the sftp listing as they are.
func TestMaliciousRemoteNames(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})
	remote := t.TempDir()
	for name, content := range map[string]string{
		`..\..\x.csv`:        "traversal\n",
		`..\..\..\etc\y.csv`: "deeper\n",
		`...csv`:             "dots\n",
		`sub\..\..\..\w.csv`: "inner traversal\n",
		"new\nline.csv":      "newline\n",
		`C:\temp\z.csv`:      "drive\n",
	} {
		writeFile(t, filepath.Join(remote, name), content)
	}
	top := t.TempDir()
	dst := filepath.Join(top, "staging", "source")
	cases := []struct {
		pattern string
		want    []string // in remote name order
	}{
		// `C:\temp\z.csv`, "new\nline.csv", `sub\..\..\..\w.csv`
		{"*", []string{"z.csv", "new_line.csv", "w.csv"}},
		// Names starting with a dot come only when the pattern asks for them:
		// "...csv", `..\..\..\etc\y.csv`, `..\..\x.csv`.
		{".*", []string{"csv", "y.csv", "x.csv"}},
	}
	for _, c := range cases {
		s := srv.settings(remote)
		s["pattern"] = c.pattern
		paths, err := connectortest.Fetch(t, mustNew(t, s, nil), dst)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(connectortest.Names(paths), c.want) {
			t.Errorf("pattern %q staged %q, want %q", c.pattern, connectortest.Names(paths), c.want)
		}
		for _, p := range paths {
			if filepath.Dir(p) != dst {
				t.Errorf("%s is outside the staging folder %s", p, dst)
			}
		}
	}
	for name, want := range map[string]string{"x.csv": "traversal\n", "w.csv": "inner traversal\n", "csv": "dots\n"} {
		if b, _ := os.ReadFile(filepath.Join(dst, name)); string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
	}
	// Nothing was written beside or above the staging folder.
	connectortest.ExpectEntries(t, top, "staging")
	connectortest.ExpectEntries(t, filepath.Join(top, "staging"), "source")
}

func TestSettingsAreCheckedUpFront(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	pub := writeKey(t, key, "")
	writeFile(t, key+".pub", string(ssh.MarshalAuthorizedKey(pub)))
	writeKey(t, filepath.Join(dir, "id_protected"), "secret")
	writeFile(t, filepath.Join(dir, "known_hosts"), "sftp.example.org "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))+"\n")
	writeFile(t, filepath.Join(dir, "bad_known_hosts"), "sftp.example.org ssh-ed25519 not-base64!\n")
	ok := func(change map[string]any) map[string]any {
		s := map[string]any{"type": "sftp", "host": "sftp.example.org", "user": "hit", "path": "/exports/nwea",
			"key_file": "id_ed25519", "known_hosts": "known_hosts"}
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
		{"NoHost", ok(map[string]any{"host": nil}), "host: expected a value"},
		{"HostIsAURL", ok(map[string]any{"host": "sftp://sftp.example.org"}), "host: expected a host name"},
		{"HostWithPort", ok(map[string]any{"host": "sftp.example.org:2222"}), "host: expected a host name without a port"},
		{"PortTooHigh", ok(map[string]any{"port": uint64(70000)}), "port: expected a port between 1 and 65535"},
		{"PortAsText", ok(map[string]any{"port": "22"}), `port: expected a number, got the text "22" (write the number alone, without quotes or units)`},
		{"TimeoutOverAWeek", ok(map[string]any{"timeout": uint64(700000)}), "timeout: expected a number of seconds above zero and at most 604800 (a week), got 700000"},
		{"NoUser", ok(map[string]any{"user": nil}), "user: expected a value"},
		{"NoPath", ok(map[string]any{"path": nil}), "path: expected a value"},
		{"BadPattern", ok(map[string]any{"pattern": "["}), "pattern: \"[\" is not a valid file name pattern"},
		{"NoAuth", ok(map[string]any{"key_file": nil}), "key_file: expected key_file (a private key) or password_env"},
		{"MissingKey", ok(map[string]any{"key_file": "id_nothere"}), "key_file: cannot use " + filepath.Join(dir, "id_nothere") + ": no such file"},
		{"PublicKey", ok(map[string]any{"key_file": "id_ed25519.pub"}), "is not a private key (this is the public half"},
		{"ProtectedKey", ok(map[string]any{"key_file": "id_protected"}), "key_file: " + filepath.Join(dir, "id_protected") + " is protected by a passphrase"},
		{"PassphraseWithoutKey", ok(map[string]any{"key_file": nil, "password_env": "PW", "key_passphrase_env": "KP"}), "key_passphrase_env: a key passphrase needs key_file"},
		{"PasswordInConfig", ok(map[string]any{"password_env": "hunter2!"}), "password_env: expected the NAME of an environment variable"},
		{"NoKnownHosts", ok(map[string]any{"known_hosts": nil}), "known_hosts: expected a known_hosts file"},
		{"MissingKnownHosts", ok(map[string]any{"known_hosts": "nothere"}), "known_hosts: cannot use"},
		{"BrokenKnownHosts", ok(map[string]any{"known_hosts": "bad_known_hosts"}), "known_hosts: " + filepath.Join(dir, "bad_known_hosts") + " is not a known_hosts file"},
		{"ArchiveIsPath", ok(map[string]any{"archive_to": "/exports/nwea/"}), "archive_to: expected a folder other than path"},
		{"ZeroTimeout", ok(map[string]any{"timeout": uint64(0)}), "timeout: expected a number of seconds above zero"},
		{"TimeoutAsText", ok(map[string]any{"timeout": "30s"}), "timeout: expected a number"},
		{"Typo", ok(map[string]any{"knownhosts": "known_hosts"}), "knownhosts: unknown setting"},
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
		ok(map[string]any{"key_file": nil, "password_env": "SFTP_PASSWORD", "port": uint64(2222), "timeout": 2.5}),
		ok(map[string]any{"key_file": "id_protected", "key_passphrase_env": "KEY_PASS", "archive_to": "/exports/done", "pattern": "*.csv"}),
		ok(map[string]any{"host": "::1"}),
	} {
		if _, err := New(good, dir); err != nil {
			t.Errorf("%v: %v", good, err)
		}
	}
}

// A server that accepts the connection and never answers fails the fetch
// after timeout, and a cancelled context ends the wait at once.
func TestSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	l := listenSilently(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	pub := writeKey(t, key, "")
	kh := writeFile(t, filepath.Join(dir, "known_hosts"), "127.0.0.1 "+string(ssh.MarshalAuthorizedKey(pub)))
	port := uint64(l.Addr().(*net.TCPAddr).Port)
	c := mustNew(t, map[string]any{"type": "sftp", "host": "127.0.0.1", "port": port, "user": "u", "path": "/",
		"key_file": key, "known_hosts": kh, "timeout": 0.5, "retries": uint64(1)}, nil)
	c.backoff = 10 * time.Millisecond
	start := time.Now()
	_, err := connectortest.Fetch(t, c, t.TempDir())
	if took := time.Since(start); err == nil || !strings.Contains(err.Error(), "no answer from the server within 500ms (timeout) (gave up after 2 tries)") || took > 10*time.Second {
		t.Errorf("silent server: %v after %v", err, took)
	}
}

// helpers

// listenSilently accepts connections on 127.0.0.1 and never says a word.
func listenSilently(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l
}

func mustNew(t *testing.T, settings map[string]any, environ map[string]string) *Connector {
	t.Helper()
	c, err := newConnector(settings, "/", env(environ))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func appendFile(t *testing.T, file, s string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
