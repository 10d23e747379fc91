package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cxinbox/app"
	"cxinbox/app/feed"
	"cxinbox/app/provider"
	"cxinbox/model"
	"cxinbox/storage"
)

// The secrets of the tests' server and of the poster that signs for it.
var testSecrets = HTTPConfig{MetaAppSecret: "meta-secret", MetaVerifyToken: "verify-me", TwilioAuthToken: "twilio-token",
	TelegramSecretToken: "tg-secret", EmailSecret: "mail-secret", MaxBody: 64 << 10}

func testPostConfig(base string) PostConfig {
	return PostConfig{URL: base, MetaAppSecret: testSecrets.MetaAppSecret, TwilioAuthToken: testSecrets.TwilioAuthToken,
		TelegramSecretToken: testSecrets.TelegramSecretToken, EmailSecret: testSecrets.EmailSecret,
		MaxAttempts: 1, Backoff: time.Millisecond}
}

// testServer is a handler on a fresh database behind httptest.
type testServer struct {
	t   *testing.T
	a   *app.App
	srv *httptest.Server
	p   *Poster // signs with testSecrets
}

func newTestServer(t *testing.T, cfg HTTPConfig) *testServer {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "http.db"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHTTPHandler(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	p, err := NewPoster(testPostConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return &testServer{t: t, a: a, srv: srv, p: p}
}

// state is what "nothing written" compares: the change sequence every
// write transaction bumps, and the row counts.
type state struct {
	seq    int64
	counts storage.Counts
}

func (ts *testServer) state() state {
	ts.t.Helper()
	ctx := context.Background()
	seq, err := ts.a.Store().ChangeSeq(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	c, err := ts.a.Store().Count(ctx)
	if err != nil {
		ts.t.Fatal(err)
	}
	return state{seq, c}
}

// do sends req and returns the status and body.
func (ts *testServer) do(req *http.Request) (int, string) {
	ts.t.Helper()
	resp, err := ts.srv.Client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signed is the request the poster (a provider) would send for ev.
func (ts *testServer) signed(ch model.Channel, body []byte) *http.Request {
	ts.t.Helper()
	req, err := ts.p.Request(context.Background(), provider.Event{Channel: ch, Body: body})
	if err != nil {
		ts.t.Fatal(err)
	}
	return req
}

// hasMessage reports whether a message with this key is stored.
func (ts *testServer) hasMessage(ch model.Channel, key string) bool {
	ts.t.Helper()
	ctx := context.Background()
	tks, err := ts.a.ListTickets(ctx, app.TicketQuery{Channel: ch, Limit: 50})
	if err != nil {
		ts.t.Fatal(err)
	}
	for _, tk := range tks {
		ms, err := ts.a.Messages(ctx, tk.ID)
		if err != nil {
			ts.t.Fatal(err)
		}
		for _, m := range ms {
			if m.ExternalID == key {
				return true
			}
		}
	}
	return false
}

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// channelBodies builds a real body of each webhook channel, distinct per n.
var channelBodies = []struct {
	ch   model.Channel
	body func(n int) []byte
	key  func(n int) string
}{
	{model.WhatsApp,
		func(n int) []byte {
			return provider.WhatsAppBody(provider.WhatsAppMsg{From: fmt.Sprintf("+1631555%04d", n), Name: "Kerry Fisher",
				ID: fmt.Sprintf("wamid.HBgL%06d", n), Text: "Hi, my order is late", SentAt: t0})
		},
		func(n int) string { return fmt.Sprintf("whatsapp:wamid.HBgL%06d", n) }},
	{model.Facebook,
		func(n int) []byte {
			return provider.MetaBody(model.Facebook, provider.MetaMsg{PageID: "110392518376541", SenderID: fmt.Sprintf("61830042716%05d", n),
				MID: fmt.Sprintf("m_fb%06d", n), Text: "Do you ship to Canada?", SentAt: t0})
		},
		func(n int) string { return fmt.Sprintf("facebook:m_fb%06d", n) }},
	{model.Instagram,
		func(n int) []byte {
			return provider.MetaBody(model.Instagram, provider.MetaMsg{PageID: "17841405822304914", SenderID: fmt.Sprintf("71830042716%05d", n),
				MID: fmt.Sprintf("m_ig%06d", n), Text: "Is this in stock?", SentAt: t0})
		},
		func(n int) string { return fmt.Sprintf("instagram:m_ig%06d", n) }},
	{model.Telegram,
		func(n int) []byte {
			return provider.TelegramBody(provider.TelegramMsg{UpdateID: 731500000 + int64(n), MessageID: 1365 + int64(n),
				FromID: 5512003400 + int64(n), FirstName: "Test", LastName: "Lastname", Text: "/start", SentAt: t0})
		},
		func(n int) string { return fmt.Sprintf("telegram:%d:%d", 5512003400+n, 1365+n) }},
	{model.SMS,
		func(n int) []byte {
			return provider.TwilioSMSBody(provider.SMSMsg{MessageSid: fmt.Sprintf("SM%032x", n+1), From: fmt.Sprintf("+1415555%04d", n),
				To: "+14155238886", Body: "Where is my parcel?", SentAt: t0})
		},
		func(n int) string { return fmt.Sprintf("sms:SM%032x", n+1) }},
	{model.Email,
		func(n int) []byte {
			return provider.EmailBody(provider.EmailMsg{MessageID: fmt.Sprintf("m%d@mail.example.com", n), From: fmt.Sprintf("ann%d@example.com", n),
				FromName: "Ann Nuñez", To: "support@northwind-shop.com", Subject: "Refund", Text: "Hello,\nI want a refund.", SentAt: t0})
		},
		func(n int) string { return fmt.Sprintf("email:m%d@mail.example.com", n) }},
}

// keyOf checks the table's key against the parser's.
func keyOf(t *testing.T, ch model.Channel, body []byte) string {
	t.Helper()
	msgs, err := provider.Parse(ch, body)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%s test body: %v (%d messages)", ch, err, len(msgs))
	}
	return msgs[0].Key()
}

func TestWebhooksAcceptSignedAndIgnoreRedelivery(t *testing.T) {
	ts := newTestServer(t, testSecrets)
	for i, c := range channelBodies {
		t.Run(string(c.ch), func(t *testing.T) {
			body := c.body(i)
			key := keyOf(t, c.ch, body)
			if key != c.key(i) {
				t.Fatalf("key %q, want %q", key, c.key(i))
			}
			before := ts.state()
			status, resp := ts.do(ts.signed(c.ch, body))
			if status != http.StatusOK {
				t.Fatalf("signed %s: %d %s", c.ch, status, resp)
			}
			// A 200 means committed: visible at once, through the app.
			if !ts.hasMessage(c.ch, key) {
				t.Fatalf("after 200, message %s is not stored", key)
			}
			after := ts.state()
			if after.counts.Messages != before.counts.Messages+1 || after.counts.Contacts != before.counts.Contacts+1 {
				t.Fatalf("counts %+v → %+v, want one more message and contact", before.counts, after.counts)
			}
			// The provider's retry: 200 again, nothing doubled.
			status, resp = ts.do(ts.signed(c.ch, body))
			if status != http.StatusOK {
				t.Fatalf("re-delivery: %d %s", status, resp)
			}
			if again := ts.state(); again.counts != after.counts {
				t.Fatalf("re-delivery changed counts %+v → %+v", after.counts, again.counts)
			}
			if c.ch == model.SMS && !strings.Contains(resp, "<Response/>") {
				t.Fatalf("sms answer %q, want empty TwiML", resp)
			}
		})
	}
}

// badRequest is one way a request can be refused.
type badRequest struct {
	name   string
	status int
	reason string // in the answer
	req    func(ts *testServer, ch model.Channel, body []byte) *http.Request
}

func withHeader(req *http.Request, k, v string) *http.Request {
	if v == "" {
		req.Header.Del(k)
	} else {
		req.Header.Set(k, v)
	}
	return req
}

// sigHeader is the header carrying the channel's signature.
func sigHeader(ch model.Channel) string {
	switch ch {
	case model.WhatsApp, model.Facebook, model.Instagram:
		return HeaderMetaSignature
	case model.Telegram:
		return HeaderTelegramSecret
	case model.SMS:
		return HeaderTwilioSig
	}
	return HeaderEmailSecret
}

// wrongSecret signs with other secrets.
func wrongSecret(ts *testServer, ch model.Channel, body []byte) *http.Request {
	cfg := testPostConfig(ts.srv.URL)
	cfg.MetaAppSecret, cfg.TwilioAuthToken, cfg.TelegramSecretToken, cfg.EmailSecret = "x", "x", "x", "x"
	p, _ := NewPoster(cfg)
	req, err := p.Request(context.Background(), provider.Event{Channel: ch, Body: body})
	if err != nil {
		ts.t.Fatal(err)
	}
	return req
}

var badRequests = []badRequest{
	{"unsigned", http.StatusUnauthorized, "missing", func(ts *testServer, ch model.Channel, body []byte) *http.Request {
		return withHeader(ts.signed(ch, body), sigHeader(ch), "")
	}},
	{"wrong secret", http.StatusUnauthorized, "nothing was stored", wrongSecret},
	{"garbage signature", http.StatusUnauthorized, "nothing was stored", func(ts *testServer, ch model.Channel, body []byte) *http.Request {
		return withHeader(ts.signed(ch, body), sigHeader(ch), "sha256=zz")
	}},
	{"body changed after signing", http.StatusUnauthorized, "nothing was stored", func(ts *testServer, ch model.Channel, body []byte) *http.Request {
		req := ts.signed(ch, body)
		if ch == model.Telegram || ch == model.Email { // a shared secret signs no body: forge the secret instead
			return withHeader(req, sigHeader(ch), "guess")
		}
		forged := bytes.Replace(body, []byte("1"), []byte("2"), 1)
		req2, _ := http.NewRequest(http.MethodPost, req.URL.String(), bytes.NewReader(forged))
		req2.Header = req.Header.Clone()
		return req2
	}},
	{"malformed, signed", http.StatusBadRequest, "malformed", func(ts *testServer, ch model.Channel, _ []byte) *http.Request {
		bad := []byte(`{"object":`)
		switch ch {
		case model.SMS:
			bad = []byte("From=%2B14155550000&Body=hi") // no MessageSid
		case model.Email:
			bad = []byte("this is not a mail message")
		}
		return ts.signed(ch, bad)
	}},
	{"wrong kind of body, signed", http.StatusBadRequest, "malformed", func(ts *testServer, ch model.Channel, _ []byte) *http.Request {
		// A well-formed body of another provider.
		other := provider.TelegramBody(provider.TelegramMsg{UpdateID: 1, MessageID: 1, FromID: 1, FirstName: "X", Text: "x", SentAt: t0})
		if ch == model.Telegram {
			other = provider.MetaBody(model.Facebook, provider.MetaMsg{PageID: "1", SenderID: "2", MID: "m", Text: "x", SentAt: t0})
		}
		return ts.signed(ch, other)
	}},
	{"oversize, signed", http.StatusRequestEntityTooLarge, "larger than", func(ts *testServer, ch model.Channel, body []byte) *http.Request {
		return ts.signed(ch, append(body, bytes.Repeat([]byte(" "), int(testSecrets.MaxBody))...))
	}},
	{"empty", http.StatusBadRequest, "empty body", func(ts *testServer, ch model.Channel, _ []byte) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, ts.p.EndpointURL(ch), nil)
		return req
	}},
}

func TestWebhooksRefuseBadRequests(t *testing.T) {
	ts := newTestServer(t, testSecrets)
	for i, c := range channelBodies {
		for _, b := range badRequests {
			t.Run(string(c.ch)+"/"+b.name, func(t *testing.T) {
				body := c.body(1000 + i)
				before := ts.state()
				status, resp := ts.do(b.req(ts, c.ch, body))
				if status != b.status || !strings.Contains(resp, b.reason) {
					t.Fatalf("got %d %q, want %d with %q", status, resp, b.status, b.reason)
				}
				if after := ts.state(); after != before {
					t.Fatalf("a refused request wrote: %+v → %+v", before, after)
				}
			})
		}
	}
	// Wrong kind of body from Meta: a Messenger body on the Instagram endpoint.
	body := channelBodies[1].body(7) // facebook
	status, resp := ts.do(ts.signed(model.Instagram, body))
	if status != http.StatusBadRequest || !strings.Contains(resp, "is for facebook") {
		t.Fatalf("facebook body on instagram: %d %q", status, resp)
	}
}

func TestWebhooksUnconfiguredRefuse(t *testing.T) {
	ts := newTestServer(t, HTTPConfig{}) // no secrets at all
	for i, c := range channelBodies {
		before := ts.state()
		status, resp := ts.do(ts.signed(c.ch, c.body(i))) // even correctly signed (for a secret the server lacks)
		if status != http.StatusServiceUnavailable || !strings.Contains(resp, "not configured") || !strings.Contains(resp, "CXINBOX_") {
			t.Fatalf("%s without a secret: %d %q", c.ch, status, resp)
		}
		if after := ts.state(); after != before {
			t.Fatalf("%s: wrote %+v → %+v", c.ch, before, after)
		}
	}
	status, resp := ts.do(mustGet(ts.srv.URL + "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=&hub.challenge=1"))
	if status != http.StatusServiceUnavailable || !strings.Contains(resp, "--meta-verify-token") {
		t.Fatalf("handshake without a token: %d %q", status, resp)
	}
}

func mustGet(u string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

func TestMetaHandshake(t *testing.T) {
	ts := newTestServer(t, testSecrets)
	for _, ch := range []string{"whatsapp", "facebook", "instagram"} {
		for _, c := range []struct {
			query  string
			status int
			body   string
		}{
			{"hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", 200, "1158201444"},
			{"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444", 403, "wrong hub.verify_token\n"},
			{"hub.mode=subscribe&hub.challenge=1158201444", 403, "wrong hub.verify_token\n"},
			{"hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", 400, "hub.mode must be subscribe\n"},
			{"hub.mode=subscribe&hub.verify_token=verify-me", 400, "hub.challenge must be 1 to 256 characters\n"},
		} {
			status, body := ts.do(mustGet(ts.srv.URL + "/webhooks/" + ch + "?" + c.query))
			if status != c.status || body != c.body {
				t.Errorf("%s ?%s: %d %q, want %d %q", ch, c.query, status, body, c.status, c.body)
			}
		}
	}
	// GET on a non-Meta webhook, PUT on any: 405.
	if status, _ := ts.do(mustGet(ts.srv.URL + "/webhooks/sms")); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhooks/sms: %d", status)
	}
}

func TestTwilioPublicURL(t *testing.T) {
	cfg := testSecrets
	cfg.PublicURL = "https://hooks.example.com/cx/"
	ts := newTestServer(t, cfg)
	body := channelBodies[4].body(1)
	// Signed for the local address: refused, the server checks the public one.
	if status, resp := ts.do(ts.signed(model.SMS, body)); status != http.StatusUnauthorized || !strings.Contains(resp, "--public-url") {
		t.Fatalf("signed for the wrong URL: %d %q", status, resp)
	}
	form, _ := url.ParseQuery(string(body))
	for _, public := range []string{"https://hooks.example.com/cx/webhooks/sms", "https://hooks.example.com:443/cx/webhooks/sms"} {
		req := ts.signed(model.SMS, body)
		req.Header.Set(HeaderTwilioSig, SignTwilio(testSecrets.TwilioAuthToken, public, form))
		if status, resp := ts.do(req); status != http.StatusOK {
			t.Fatalf("signed for %s: %d %q", public, status, resp)
		}
	}
	if _, err := NewHTTPHandler(ts.a, HTTPConfig{PublicURL: "ftp://x"}); err == nil {
		t.Fatal("ftp public URL accepted")
	}
}

func TestSignatureVectors(t *testing.T) {
	// Twilio's documented example.
	form := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	const twURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := SignTwilio("12345", twURL, form); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Errorf("SignTwilio = %s", got)
	}
	if !VerifyTwilio("12345", twURL, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") || VerifyTwilio("12346", twURL, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") {
		t.Error("VerifyTwilio")
	}
	// HMAC-SHA256's textbook vector.
	body := []byte("The quick brown fox jumps over the lazy dog")
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := SignMeta("key", body); got != want {
		t.Errorf("SignMeta = %s", got)
	}
	for _, c := range []struct {
		secret, header string
		ok             bool
	}{
		{"key", want, true}, {"key", strings.ToUpper(want[:7]) + want[7:], false}, {"", want, false},
		{"key", want[7:], false}, {"key", want[:len(want)-2], false}, {"kez", want, false},
	} {
		if VerifyMeta(c.secret, body, c.header) != c.ok {
			t.Errorf("VerifyMeta(%q, %q) != %v", c.secret, c.header, c.ok)
		}
	}
	if equalSecret("", "") || !equalSecret("a", "a") || equalSecret("a", "b") {
		t.Error("equalSecret")
	}
}

// TestForgedFlood sends 10,000 forged, unsigned, malformed and oversize
// requests at once, on every endpoint; every one is refused and nothing is
// written.
func TestForgedFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 requests; skipped with -short")
	}
	ts := newTestServer(t, testSecrets)
	before := ts.state()
	const total = 10_000
	var next atomic.Int64
	var mu sync.Mutex
	byStatus := map[int]int{}
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= total {
					return
				}
				c := channelBodies[n%len(channelBodies)]
				b := badRequests[(n/len(channelBodies))%len(badRequests)]
				req := b.req(ts, c.ch, c.body(n))
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				byStatus[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("answers: %v", byStatus)
	n := 0
	for status, k := range byStatus {
		if status < 400 {
			t.Errorf("%d requests got %d", k, status)
		}
		n += k
	}
	if n != total {
		t.Errorf("%d answers, want %d", n, total)
	}
	if after := ts.state(); after != before {
		t.Fatalf("the flood wrote: %+v → %+v", before, after)
	}
}

// TestLoadShort is the short version of `feed --url --rate 500 --duration
// 60s`: the simulator's events (all seven channels), paced, signed, over
// HTTP; every one acknowledged, every distinct message stored once.
func TestLoadShort(t *testing.T) {
	if testing.Short() {
		t.Skip("load test; skipped with -short")
	}
	ts := newTestServer(t, testSecrets)
	cfg := testPostConfig(ts.srv.URL)
	cfg.MaxAttempts = 5
	p, err := NewPoster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	f := feed.New(7)
	rep := p.Load(context.Background(), func() (provider.Event, bool) { return f.Next(), true },
		LoadConfig{Rate: 300, Duration: 3 * time.Second}, func(ev provider.Event, d Delivery) {
			if d.Err != nil {
				t.Errorf("%s event: %v", ev.Channel, d.Err)
				return
			}
			msgs, err := provider.Parse(ev.Channel, ev.Body)
			if err != nil {
				t.Errorf("feed event does not parse: %v", err)
			}
			for i := range msgs {
				keys[msgs[i].Key()] = true
			}
		})
	t.Log(rep)
	if rep.Failed != 0 || rep.Acked != rep.Events || rep.Events < 600 {
		t.Fatalf("report %v", rep)
	}
	c := ts.state().counts
	if c.Messages != int64(len(keys)) {
		t.Fatalf("%d messages stored, %d distinct acknowledged", c.Messages, len(keys))
	}
}
