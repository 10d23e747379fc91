package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"cxinbox/app"
)

// sshEnv is a running SSH server on a temporary database, for tests that
// connect to it the way agents do: golang.org/x/crypto/ssh as the client and
// a terminal emulator (charmbracelet/x/vt) as the screen.
type sshEnv struct {
	t    testing.TB
	a    *app.App
	s    *SSHServer
	addr string
	log  *lockedBuffer
}

// newSSHEnv starts a server with small caps; mod adjusts its config.
// events > 0 fills the database with that many demo feed events first.
func newSSHEnv(t testing.TB, events int, mod func(*SSHConfig)) *sshEnv {
	t.Helper()
	dir := t.TempDir()
	a, err := app.Open(filepath.Join(dir, "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if events > 0 {
		if _, err := a.LoadDemo(context.Background(), events); err != nil {
			t.Fatal(err)
		}
	}
	log := &lockedBuffer{}
	cfg := SSHConfig{HostKeyPath: filepath.Join(dir, "ssh_host_ed25519_key"), IdleTimeout: time.Minute,
		MaxSessions: 20, MaxPerAgent: 3, Log: log}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSSHServer(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.noticeFor = 50 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	e := &sshEnv{t: t, a: a, s: s, addr: ln.Addr().String(), log: log}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Close()
	})
	return e
}

// newKey makes an ed25519 key pair for a test agent.
func newKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// agent registers name with a new key and returns the key.
func (e *sshEnv) agent(name string) gossh.Signer {
	e.t.Helper()
	k := newKey(e.t)
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.PublicKey()))) + " " + name + "@test"
	if _, _, err := e.a.AddAgentKeys(context.Background(), name, false, []string{line}); err != nil {
		e.t.Fatal(err)
	}
	return k
}

func (e *sshEnv) dial(auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", e.addr, &gossh.ClientConfig{
		User: "someone", Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
}

// terminal is one agent's SSH session with a PTY, its output fed to a
// terminal emulator so tests read the screen as the agent sees it.
type terminal struct {
	t      testing.TB
	client *gossh.Client
	sess   *gossh.Session
	in     io.WriteCloser
	stderr *lockedBuffer

	mu      sync.Mutex
	emu     *vt.Emulator
	raw     bytes.Buffer
	updated chan struct{} // closed and replaced on every output chunk
	ended   chan struct{} // closed when the output ends
	exit    error         // the session's Wait result, once ended
}

// open connects with key, asks for a w×h PTY (TERM xterm-256color unless env
// sets TERM) and starts the shell, which is the inbox.
func (e *sshEnv) open(key gossh.Signer, w, h int, env map[string]string) (*terminal, error) {
	c, err := e.dial(gossh.PublicKeys(key))
	if err != nil {
		return nil, err
	}
	return openOn(e.t, c, w, h, env)
}

func openOn(t testing.TB, c *gossh.Client, w, h int, env map[string]string) (*terminal, error) {
	sess, err := c.NewSession()
	if err != nil {
		c.Close()
		return nil, err
	}
	term := "xterm-256color"
	for k, v := range env {
		if k == "TERM" {
			term = v
			continue
		}
		if err := sess.Setenv(k, v); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := sess.RequestPty(term, h, w, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		c.Close()
		return nil, err
	}
	tm := &terminal{t: t, client: c, sess: sess, stderr: &lockedBuffer{}, emu: vt.NewEmulator(w, h),
		updated: make(chan struct{}), ended: make(chan struct{})}
	sess.Stderr = tm.stderr
	if tm.in, err = sess.StdinPipe(); err != nil {
		c.Close()
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := sess.Shell(); err != nil {
		c.Close()
		return nil, err
	}
	// The emulator answers the program's terminal queries; pass them on.
	go io.Copy(tm.in, tm.emu)
	go func() {
		buf := make([]byte, 32*1024)
		for {
			n, err := out.Read(buf)
			if n > 0 {
				tm.mu.Lock()
				tm.raw.Write(buf[:n])
				tm.emu.Write(buf[:n])
				close(tm.updated)
				tm.updated = make(chan struct{})
				tm.mu.Unlock()
			}
			if err != nil {
				break
			}
		}
		werr := sess.Wait()
		tm.mu.Lock()
		tm.exit = werr
		tm.mu.Unlock()
		// (The emulator is not closed: its Close races with the Read above
		// in x/vt, so that goroutine just stays parked until the test ends.)
		close(tm.ended)
	}()
	t.Cleanup(func() { tm.close() })
	return tm, nil
}

func (tm *terminal) close() {
	tm.sess.Close()
	tm.client.Close()
}

// screen is the emulator's screen as text.
func (tm *terminal) screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.emu.String()
}

// output is every byte the session wrote.
func (tm *terminal) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.raw.String()
}

// waitFor waits until ok holds for the screen, or fails the test after d.
func (tm *terminal) waitFor(what string, d time.Duration, ok func(screen string) bool) string {
	tm.t.Helper()
	s, err := tm.await(d, ok)
	if err != nil {
		tm.t.Fatalf("%s: %v; the screen:\n%s", what, err, s)
	}
	return s
}

// waitText waits for the screen to show text.
func (tm *terminal) waitText(text string, d time.Duration) string {
	tm.t.Helper()
	return tm.waitFor(fmt.Sprintf("screen shows %q", text), d, func(s string) bool { return strings.Contains(s, text) })
}

// await waits for ok on the screen, re-checking on every output chunk.
func (tm *terminal) await(d time.Duration, ok func(screen string) bool) (string, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		s, ch := tm.emu.String(), tm.updated
		tm.mu.Unlock()
		if ok(s) {
			return s, nil
		}
		select {
		case <-ch:
		case <-tm.ended:
			tm.mu.Lock()
			s = tm.emu.String()
			tm.mu.Unlock()
			if ok(s) {
				return s, nil
			}
			return s, fmt.Errorf("session ended")
		case <-deadline.C:
			return s, fmt.Errorf("not within %v", d)
		}
	}
}

// press types keys: plain text, or "\t", "\r", "\x1b" for tab, enter, esc.
func (tm *terminal) press(keys string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.in, keys); err != nil {
		tm.t.Fatalf("press %q: %v", keys, err)
	}
}

// waitEnd waits for the session to end and returns its exit error.
func (tm *terminal) waitEnd(d time.Duration) error {
	tm.t.Helper()
	select {
	case <-tm.ended:
	case <-time.After(d):
		tm.t.Fatalf("session still open after %v; the screen:\n%s", d, tm.screen())
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.exit
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes and reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
