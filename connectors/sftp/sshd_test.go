package sftp

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const sshdPath = "/usr/sbin/sshd"

// sshServer is a real OpenSSH sshd serving sftp on 127.0.0.1, run by the
// test as the current user, with a throwaway host key and user key.
type sshServer struct {
	host, addr string
	port       int
	user       string
	dir        string        // the server's config and keys
	hostKey    ssh.PublicKey // what the server presents
	keyFile    string        // the user's private key, authorised on the server
	knownHosts string        // vouches for hostKey at host:port
	log        *syncBuffer
}

type sshdOptions struct {
	password bool // allow password logins
}

// startSSHD starts sshd and stops it (and its per-connection children) when
// the test ends. Without sshd the test is skipped, except under CI, where a
// missing server is a failure: CI must never pass by skipping.
func startSSHD(t *testing.T, opt sshdOptions) *sshServer {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run installs openssh-server; the SFTP tests need a real server", sshdPath)
		}
		t.Skipf("%s is missing (apt-get install openssh-server): skipping the SFTP tests against a real server", sshdPath)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// sshd running as root insists on its privilege separation folder.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &sshServer{host: "127.0.0.1", user: u.Username, dir: t.TempDir(), log: &syncBuffer{}}
	s.hostKey = writeKey(t, filepath.Join(s.dir, "ssh_host_ed25519_key"), "")
	userPub := writeKey(t, filepath.Join(s.dir, "id_ed25519"), "")
	s.keyFile = filepath.Join(s.dir, "id_ed25519")
	if err := os.WriteFile(filepath.Join(s.dir, "authorized_keys"), ssh.MarshalAuthorizedKey(userPub), 0o600); err != nil {
		t.Fatal(err)
	}
	// A free port can be taken by someone else before sshd binds it; try again then.
	for try := 1; ; try++ {
		s.port = freePort(t)
		s.addr = net.JoinHostPort(s.host, strconv.Itoa(s.port))
		err := s.run(t, opt)
		if err == nil {
			break
		}
		if try == 3 || !strings.Contains(s.log.String(), "Address already in use") {
			t.Fatalf("start sshd: %v\nsshd's log:\n%s", err, s.log)
		}
	}
	s.knownHosts = s.writeKnownHosts(t, "known_hosts", s.hostKey)
	return s
}

func (s *sshServer) run(t *testing.T, opt sshdOptions) error {
	password := "no"
	if opt.password {
		password = "yes"
	}
	cfg := filepath.Join(s.dir, "sshd_config")
	conf := fmt.Sprintf(`# written by the hitreflect sftp tests
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication %s
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin yes
UseDNS no
X11Forwarding no
AllowTcpForwarding no
MaxStartups 100
MaxSessions 100
LogLevel VERBOSE
Subsystem sftp internal-sftp
`, s.addr, filepath.Join(s.dir, "ssh_host_ed25519_key"), filepath.Join(s.dir, "sshd.pid"),
		filepath.Join(s.dir, "authorized_keys"), password)
	// OpenSSH 9.8 and later slow down addresses that fail to log in; the
	// wrong-password test must not slow the others down.
	penalties := "PerSourcePenalties no\n"
	if exec.Command(sshdPath, "-t", "-f", writeFile(t, cfg, conf+penalties)).Run() == nil {
		conf += penalties
	}
	if out, err := exec.Command(sshdPath, "-t", "-f", writeFile(t, cfg, conf)).CombinedOutput(); err != nil {
		return fmt.Errorf("sshd -t rejects the test config: %v: %s", err, out)
	}

	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	ownProcessGroup(cmd) // its children go with it
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		killProcessGroup(cmd)
		<-exited
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("sshd exited: %v", err)
		default:
		}
		if banner(s.addr) {
			t.Cleanup(stop)
			return nil
		}
		if time.Now().After(deadline) {
			stop()
			return errors.New("sshd did not answer within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// banner says whether an SSH server answers at addr.
func banner(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "SSH-2.0-")
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeKnownHosts writes a known_hosts file vouching for key at the server's address.
func (s *sshServer) writeKnownHosts(t *testing.T, name string, keys ...ssh.PublicKey) string {
	var b strings.Builder
	other := writeKey(t, filepath.Join(t.TempDir(), "other_host_key"), "")
	b.WriteString("# another host\n" + knownhosts.Line([]string{"sftp.example.org"}, other) + "\n")
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, k) + "\n")
	}
	return writeFile(t, filepath.Join(t.TempDir(), name), b.String())
}

// settings are a key-auth connector's settings for a remote folder.
func (s *sshServer) settings(remoteDir string) map[string]any {
	return map[string]any{"type": "sftp", "host": s.host, "port": uint64(s.port), "user": s.user,
		"path": remoteDir, "key_file": s.keyFile, "known_hosts": s.knownHosts, "timeout": uint64(20)}
}

// writeKey writes a new ed25519 private key in OpenSSH format (protected by
// passphrase if given) and returns its public half.
func writeKey(t *testing.T, file, passphrase string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "hitreflect test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "hitreflect test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, file, string(pem.EncodeToMemory(block)))
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func writeFile(t *testing.T, file, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// syncBuffer collects sshd's log from its output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
