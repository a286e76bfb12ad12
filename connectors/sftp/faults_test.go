package sftp

import (
	"bytes"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/hitreflect/hitreflect/connectors/connectortest"
)

// faultyProxy stands between the connector and the real sshd on
// 127.0.0.1. The first `faulty` connections carry `after` bytes from the
// server, then either drop (both sides closed) or stall (nothing more
// passes, the connection stays open); later connections pass everything.
type faultyProxy struct {
	addr        string
	connections atomic.Int32
}

func startFaultyProxy(t *testing.T, target string, faulty int32, after int64, stall bool) *faultyProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultyProxy{addr: l.Addr().String()}
	var mu sync.Mutex
	var open []net.Conn
	keep := func(c ...net.Conn) {
		mu.Lock()
		open = append(open, c...)
		mu.Unlock()
	}
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			keep(client, server)
			n := p.connections.Add(1)
			go func() { _, _ = io.Copy(server, client) }()
			go func() {
				if n > faulty {
					_, _ = io.Copy(client, server)
					client.Close()
					return
				}
				_, _ = io.CopyN(client, server, after)
				if !stall {
					client.Close()
					server.Close()
				}
				// stalling: the rest is never passed on
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
	})
	return p
}

// settingsVia are srv's settings with the connection going through p.
func settingsVia(t *testing.T, srv *sshServer, p *faultyProxy, remote string) map[string]any {
	s := srv.settings(remote)
	host, port, _ := net.SplitHostPort(p.addr)
	s["host"] = host
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	s["port"] = uint64(n)
	s["known_hosts"] = writeFile(t, filepath.Join(t.TempDir(), "known_hosts"),
		knownhosts.Line([]string{knownhosts.Normalize(p.addr)}, srv.hostKey)+"\n")
	return s
}

// bigCSV writes a CSV of about size bytes, so a transfer is well under way
// when the proxy breaks it.
func bigCSV(t *testing.T, file string, size int) []byte {
	rng := mrand.New(mrand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("student_id,minutes\n")
	for b.Len() < size {
		b.WriteString(strings.Repeat("0", 3))
		b.WriteString(string(rune('1'+rng.IntN(9))) + ",30\n")
	}
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A connection that drops or goes silent half-way through a file is
// made again, after a pause, and the file downloaded whole; the broken
// copy never takes the file's name. When every try fails, the fetch fails
// saying how often it tried, and leaves no file.
func TestBrokenConnectionsAreTriedAgain(t *testing.T) {
	t.Parallel()
	srv := startSSHD(t, sshdOptions{})
	remote := t.TempDir()
	want := bigCSV(t, filepath.Join(remote, "sessions.csv"), 4<<20)

	for _, c := range []struct {
		name  string
		stall bool
	}{{"DropsHalfWay", false}, {"StallsHalfWay", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := startFaultyProxy(t, srv.addr, 1, 1<<20, c.stall)
			s := settingsVia(t, srv, p, remote)
			s["timeout"] = 1.0
			conn := mustNew(t, s, nil)
			conn.backoff = 10 * time.Millisecond
			dst := t.TempDir()
			paths, err := connectortest.Fetch(t, conn, dst)
			if err != nil || len(paths) != 1 {
				t.Fatalf("fetch: %q, %v", paths, err)
			}
			if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, want) {
				t.Errorf("downloaded %d bytes, want the whole file of %d", len(got), len(want))
			}
			if n := p.connections.Load(); n != 2 {
				t.Errorf("%d connections, want 2 (the broken one, then a whole one)", n)
			}
			connectortest.ExpectEntries(t, dst, "sessions.csv")
		})
	}
	t.Run("GivesUp", func(t *testing.T) {
		t.Parallel()
		p := startFaultyProxy(t, srv.addr, 100, 1<<20, false)
		s := settingsVia(t, srv, p, remote)
		s["retries"] = uint64(2)
		conn := mustNew(t, s, nil)
		conn.backoff = 10 * time.Millisecond
		dst := t.TempDir()
		paths, err := connectortest.Fetch(t, conn, dst)
		t.Log(err)
		if err == nil || len(paths) != 0 || !strings.Contains(err.Error(), "sessions.csv from "+p.addr) ||
			!strings.HasSuffix(err.Error(), "(gave up after 3 tries)") {
			t.Fatalf("got %q, %v; want a download error after 3 tries", paths, err)
		}
		if n := p.connections.Load(); n != 3 {
			t.Errorf("%d connections, want 3", n)
		}
		connectortest.ExpectEntries(t, dst)
	})
	t.Run("RefusalsAreNotRetried", func(t *testing.T) {
		t.Parallel()
		p := startFaultyProxy(t, srv.addr, 0, 0, false)
		s := settingsVia(t, srv, p, remote)
		s["known_hosts"] = srv.writeKnownHosts(t, "known_hosts_other") // vouches for another address only
		conn := mustNew(t, s, nil)
		conn.backoff = 10 * time.Millisecond
		if _, err := connectortest.Fetch(t, conn, t.TempDir()); err == nil || strings.Contains(err.Error(), "gave up") {
			t.Errorf("unknown host key: %v; want a refusal, not retries", err)
		}
		if n := p.connections.Load(); n != 1 {
			t.Errorf("%d connections for a refused host key, want 1", n)
		}
	})
}
