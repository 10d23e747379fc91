//go:build unix

package main

// End-to-end tests of team mode over HTTP: the real binary's `serve --http`
// taking `feed --url`, forged requests, and a SIGKILL under load.

import (
	"bufio"
	"context"
	"database/sql"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // read-only checks of the server's database

	"cxinbox/app/feed"
	"cxinbox/app/provider"
	"cxinbox/serve"
)

// The secrets every test server and feed share, as environment variables.
var httpSecretsEnv = []string{
	"CXINBOX_META_APP_SECRET=meta-s3cret", "CXINBOX_META_VERIFY_TOKEN=verify", "CXINBOX_TWILIO_AUTH_TOKEN=twilio-s3cret",
	"CXINBOX_TELEGRAM_SECRET_TOKEN=tg-s3cret", "CXINBOX_EMAIL_SECRET=mail-s3cret",
}

var testPostSecrets = serve.PostConfig{MetaAppSecret: "meta-s3cret", TwilioAuthToken: "twilio-s3cret",
	TelegramSecretToken: "tg-s3cret", EmailSecret: "mail-s3cret"}

// httpServer is a running `cxinbox serve --http`.
type httpServer struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	mu   sync.Mutex
	log  strings.Builder
}

var listenLine = regexp.MustCompile(`webhooks and web chat on (http://\S+) `)

// startHTTPServer starts the server on db at addr (port 0: any) and waits
// until it listens.
func (r *runner) startHTTPServer(db, addr string) *httpServer {
	r.t.Helper()
	cmd := exec.Command(cxinboxBin, "--db", db, "serve", "--http", addr, "--no-feed", "--no-demo")
	cmd.Env = append(r.baseEnv(), httpSecretsEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	s := &httpServer{cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		cmd.Wait()
		close(s.done)
	}()
	r.t.Cleanup(func() { s.kill(syscall.SIGKILL) })
	select {
	case s.url = <-ready:
		return s
	case <-s.done:
		r.t.Fatalf("serve --http %s exited:\n%s", addr, s.stderr())
	case <-time.After(30 * time.Second):
		r.t.Fatalf("serve --http %s did not listen within 30 s:\n%s", addr, s.stderr())
	}
	return nil
}

func (s *httpServer) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// kill signals the server and waits for it to end.
func (s *httpServer) kill(sig syscall.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(sig)
	<-s.done
}

// inboundKeys counts the inbound messages of db by idempotency key.
func inboundKeys(t *testing.T, db string) map[string]int {
	t.Helper()
	d, err := sql.Open("sqlite3", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query(`SELECT external_id, COUNT(*) FROM messages WHERE direction = 'in' GROUP BY external_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

var feedSummary = regexp.MustCompile(`events (\d+) in [\d.]+s \(\d+/s\): acknowledged (\d+), failed (\d+)`)
var feedDistinct = regexp.MustCompile(`messages acknowledged: (\d+) distinct ids`)

// TestCLIFeedURL: `feed --url` posts the simulator's events, signed, to
// `serve --http`, paced; every distinct message is stored exactly once.
func TestCLIFeedURL(t *testing.T) {
	r := newRunner(t)
	db := filepath.Join(t.TempDir(), "http.db")
	s := r.startHTTPServer(db, "127.0.0.1:0")

	// Without the secrets the feed refuses to start, naming them.
	res := r.fail("feed", "--url", s.url, "--count", "5")
	if !strings.Contains(res.stderr, "--meta-app-secret") || !strings.Contains(res.stderr, "--email-secret") {
		t.Fatalf("feed --url without secrets:\n%s", res)
	}
	res = r.exec(nil, httpSecretsEnv, "feed", "--url", s.url, "--seed", "5", "--rate", "200", "--duration", "2s")
	if res.code != 0 {
		t.Fatalf("feed --url: %s\nserver: %s", res, s.stderr())
	}
	m := feedSummary.FindStringSubmatch(res.stdout)
	d := feedDistinct.FindStringSubmatch(res.stdout)
	if m == nil || d == nil {
		t.Fatalf("feed --url output:\n%s", res)
	}
	events, _ := strconv.Atoi(m[1])
	acked, _ := strconv.Atoi(m[2])
	distinct, _ := strconv.Atoi(d[1])
	if events < 300 || acked != events || m[3] != "0" {
		t.Fatalf("feed --url: %s", res.stdout)
	}
	// A forged request changes nothing.
	req, _ := http.NewRequest(http.MethodPost, s.url+"/webhooks/whatsapp", strings.NewReader(`{"object":"whatsapp_business_account","entry":[]}`))
	req.Header.Set(serve.HeaderMetaSignature, "sha256=0000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %d", resp.StatusCode)
	}
	s.kill(syscall.SIGTERM)
	keys := inboundKeys(t, db)
	if len(keys) != distinct {
		t.Fatalf("%d messages stored, feed acknowledged %d distinct", len(keys), distinct)
	}
	for k, n := range keys {
		if n != 1 {
			t.Fatalf("message %s stored %d times", k, n)
		}
	}
}

// freeAddr reserves a loopback port for a server that restarts on it.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCLIServeKill9UnderLoad posts the feed over HTTP as fast as the server
// takes it, SIGKILLs the server mid-load, restarts it on the same database
// and port (the poster retries like a provider, so in-flight events land on
// the new process), three times; then every event the server answered 200
// must be stored, once. Finally every event is delivered again — what a
// provider does with those it never got a 200 for — and the database holds
// each distinct message exactly once.
func TestCLIServeKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test; skipped with -short")
	}
	r := newRunner(t)
	db := filepath.Join(t.TempDir(), "kill.db")
	addr := freeAddr(t)
	s := r.startHTTPServer(db, addr)
	cfg := testPostSecrets
	cfg.URL = s.url
	cfg.MaxAttempts = 12
	cfg.Backoff = 50 * time.Millisecond
	p, err := serve.NewPoster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := feed.New(9)
	var (
		mu     sync.Mutex
		sent   []provider.Event
		acked  = map[string]bool{}
		failed int
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	loadDone := make(chan serve.LoadReport, 1)
	go func() {
		loadDone <- p.Load(ctx, func() (provider.Event, bool) {
			ev := f.Next()
			mu.Lock()
			sent = append(sent, ev)
			mu.Unlock()
			return ev, true
		}, serve.LoadConfig{Concurrency: 32}, func(ev provider.Event, d serve.Delivery) {
			mu.Lock()
			defer mu.Unlock()
			if d.Err != nil {
				failed++
				return
			}
			msgs, err := provider.Parse(ev.Channel, ev.Body)
			if err != nil {
				t.Errorf("feed event: %v", err)
			}
			for i := range msgs {
				acked[msgs[i].Key()] = true
			}
		})
	}()
	for round := 1; round <= 3; round++ {
		time.Sleep(1500 * time.Millisecond)
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		s.kill(syscall.SIGKILL)
		t.Logf("round %d: SIGKILL with %d messages acknowledged so far", round, n)
		if n == 0 {
			t.Fatalf("nothing acknowledged before the kill; server log:\n%s", s.stderr())
		}
		s = r.startHTTPServer(db, addr)
	}
	time.Sleep(500 * time.Millisecond)
	cancel() // stop starting events; those in flight finish
	rep := <-loadDone
	t.Logf("load: %v", rep)
	s.kill(syscall.SIGTERM)

	keys := inboundKeys(t, db)
	mu.Lock()
	defer mu.Unlock()
	for k := range acked {
		if keys[k] != 1 {
			t.Errorf("acknowledged message %s stored %d times", k, keys[k])
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The providers deliver again what they never got a 200 for (here: everything).
	s = r.startHTTPServer(db, addr)
	cfg.URL = s.url
	p, _ = serve.NewPoster(cfg)
	i := 0
	all := map[string]bool{}
	for _, ev := range sent {
		msgs, _ := provider.Parse(ev.Channel, ev.Body)
		for j := range msgs {
			all[msgs[j].Key()] = true
		}
	}
	rep2 := p.Load(context.Background(), func() (provider.Event, bool) {
		if i == len(sent) {
			return provider.Event{}, false
		}
		i++
		return sent[i-1], true
	}, serve.LoadConfig{Concurrency: 32}, nil)
	if rep2.Failed != 0 {
		t.Fatalf("re-delivery: %v %v", rep2, rep2.Errors)
	}
	s.kill(syscall.SIGTERM)
	keys = inboundKeys(t, db)
	if len(keys) != len(all) {
		t.Errorf("%d distinct messages stored, %d sent", len(keys), len(all))
	}
	for k, n := range keys {
		if n != 1 || !all[k] {
			t.Errorf("message %s stored %d times (sent: %v)", k, n, all[k])
		}
	}
	t.Logf("%d events sent, %d messages acknowledged during the kills (%d events given up then), %d distinct stored in the end",
		len(sent), len(acked), failed, len(keys))
}
