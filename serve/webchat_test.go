package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cxinbox/app"
)

// visitor is one browser: a cookie jar.
type visitor struct {
	t      *testing.T
	ts     *testServer
	client *http.Client
}

func (ts *testServer) newVisitor() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: ts.t, ts: ts, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// open loads the chat page, which gives a new visitor its cookie.
func (v *visitor) open() string {
	v.t.Helper()
	resp, err := v.client.Get(v.ts.srv.URL + "/chat")
	if err != nil {
		v.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		v.t.Fatalf("GET /chat: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return v.id()
}

func (v *visitor) id() string {
	for _, c := range v.client.Jar.Cookies(mustGet(v.ts.srv.URL).URL) {
		if c.Name == VisitorCookie {
			return c.Value
		}
	}
	return ""
}

// send posts a message as the page does; headers may add or override.
func (v *visitor) send(body string, headers ...string) (int, string) {
	v.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, v.ts.srv.URL+"/chat/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", v.ts.srv.URL)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	bufio.NewReader(resp.Body).WriteTo(&b)
	return resp.StatusCode, b.String()
}

func msgJSON(id, text string, extra ...string) string {
	m := map[string]any{"message_id": id, "text": text}
	for i := 0; i+1 < len(extra); i += 2 {
		if strings.HasPrefix(extra[i], "prechat.") {
			pc, _ := m["prechat"].(map[string]any)
			if pc == nil {
				pc = map[string]any{}
				m["prechat"] = pc
			}
			pc[strings.TrimPrefix(extra[i], "prechat.")] = extra[i+1]
			continue
		}
		m[extra[i]] = extra[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// contactOf is the visitor's contact (0: none yet).
func (ts *testServer) contactOf(visitorID string) app.VisitorChat {
	ts.t.Helper()
	vc, err := ts.a.VisitorConversation(context.Background(), visitorID, 0)
	if err != nil {
		ts.t.Fatal(err)
	}
	return vc
}

func TestChatCookie(t *testing.T) {
	ts := newTestServer(t, testSecrets)
	v := ts.newVisitor()
	id := v.open()
	if !validVisitorID(id) || !strings.HasPrefix(id, "v_") || len(id) != 24 {
		t.Fatalf("visitor id %q", id)
	}
	if again := v.open(); again != id {
		t.Fatalf("the same browser got a new cookie: %q → %q", id, again)
	}
	if other := ts.newVisitor().open(); other == id {
		t.Fatal("a second browser got the same visitor id")
	}
	// The cookie's attributes.
	resp, err := http.Get(ts.srv.URL + "/chat")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"cxinbox_visitor=v_", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=63072000"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	// A cookie we could not have set is replaced.
	req := mustGet(ts.srv.URL + "/chat")
	req.Header.Set("Cookie", VisitorCookie+"=bad<value>")
	_, _ = ts.do(req)
	for _, p := range []string{"/chat/chat.js", "/chat/chat.css"} {
		if status, body := ts.do(mustGet(ts.srv.URL + p)); status != 200 || len(body) < 100 {
			t.Errorf("GET %s: %d", p, status)
		}
	}
}

func TestChatMessages(t *testing.T) {
	ts := newTestServer(t, testSecrets)
	ann := ts.newVisitor()
	annID := ann.open()

	// Refusals first: none of them writes anything.
	before := ts.state()
	stranger := ts.newVisitor() // never opened the page: no cookie
	for _, c := range []struct {
		name    string
		v       *visitor
		body    string
		headers []string
		status  int
		reason  string
	}{
		{"no cookie", stranger, msgJSON("a1", "hi"), nil, 403, "no visitor cookie"},
		{"form post", ann, msgJSON("a1", "hi"), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"other site", ann, msgJSON("a1", "hi"), []string{"Origin", "https://evil.example"}, 403, "cross-origin"},
		{"other site, fetch metadata", ann, msgJSON("a1", "hi"), []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-site"},
		{"someone else's visitor id", ann, msgJSON("a1", "hi", "visitor_id", "v_someoneelse"), nil, 403, "does not match"},
		{"not JSON", ann, "hi", nil, 400, "not a JSON object"},
		{"no text", ann, msgJSON("a1", "  "), nil, 400, "missing text"},
		{"no message id", ann, msgJSON("", "hi"), nil, 400, "missing message_id"},
		{"bad email in the form", ann, msgJSON("a1", "hi", "prechat.email", "ann@"), nil, 400, "prechat.email"},
		{"form on a workflow chat", ann, msgJSON("a1", "hi", "prechat.name", "Ann", "started_by", "workflow"), nil, 400, "only a visitor fills in the form"},
		{"oversize", ann, msgJSON("a1", strings.Repeat("x", maxChatBody)), nil, 413, "larger than"},
	} {
		status, resp := c.v.send(c.body, c.headers...)
		if status != c.status || !strings.Contains(resp, c.reason) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, status, resp, c.status, c.reason)
		}
	}
	if after := ts.state(); after != before {
		t.Fatalf("refused messages wrote: %+v → %+v", before, after)
	}

	// The first message, with the form: a contact from the form.
	status, resp := ann.send(msgJSON("a1", "Hello, where is my order?", "prechat.name", "Ann Smith", "prechat.email", "Ann@Example.com",
		"timezone", "Europe/Berlin"))
	if status != 200 {
		t.Fatalf("first message: %d %s", status, resp)
	}
	vc := ts.contactOf(annID)
	if vc.ContactID == 0 || len(vc.Messages) != 1 {
		t.Fatalf("after the first message: %+v", vc)
	}
	c, err := ts.a.Contact(context.Background(), vc.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Ann Smith" || c.Email != "ann@example.com" || c.Country != "DE" || c.Timezone != "Europe/Berlin" || c.NameGenerated {
		t.Fatalf("contact from the form: %+v", c)
	}
	// The same message again (the page retrying): nothing doubled.
	if status, resp := ann.send(msgJSON("a1", "Hello, where is my order?")); status != 200 || !strings.Contains(resp, `"duplicate":true`) {
		t.Fatalf("retry: %d %s", status, resp)
	}
	// Same cookie: same contact, never a new one.
	if status, resp := ann.send(msgJSON("a2", "<script>alert(1)</script> & more")); status != 200 {
		t.Fatalf("second message: %d %s", status, resp)
	}
	if vc2 := ts.contactOf(annID); vc2.ContactID != vc.ContactID || len(vc2.Messages) != 2 || vc2.Messages[1].Body != "<script>alert(1)</script> & more" {
		t.Fatalf("second message: %+v", vc2)
	}

	// A second browser with the same email: a new contact and one potential duplicate.
	other := ts.newVisitor()
	otherID := other.open()
	if status, resp := other.send(msgJSON("b1", "Hi again", "prechat.name", "Ann Smith", "prechat.email", "ann@example.com")); status != 200 {
		t.Fatalf("second browser: %d %s", status, resp)
	}
	ovc := ts.contactOf(otherID)
	if ovc.ContactID == 0 || ovc.ContactID == vc.ContactID {
		t.Fatalf("second browser's contact %d (first %d)", ovc.ContactID, vc.ContactID)
	}
	dups, err := ts.a.DuplicatesOf(context.Background(), ovc.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dups) != 1 || dups[0].Other(ovc.ContactID) != vc.ContactID {
		t.Fatalf("potential duplicates of the new contact: %+v", dups)
	}

	// A visitor without the form: a generated name.
	anon := ts.newVisitor()
	anonID := anon.open()
	if status, resp := anon.send(msgJSON("c1", "just browsing")); status != 200 {
		t.Fatalf("anonymous: %d %s", status, resp)
	}
	ac, _ := ts.a.Contact(context.Background(), ts.contactOf(anonID).ContactID)
	if !ac.NameGenerated || ac.Name == "" || ac.Country != "DE" || ac.Language == "" {
		t.Fatalf("anonymous contact: %+v", ac)
	}

	// Too many messages at once: 429, and the ones let through are stored.
	ok, limited := 0, 0
	for i := range 3 * chatBurst {
		switch status, _ := anon.send(msgJSON(fmt.Sprintf("burst-%d", i), "spam")); status {
		case 200:
			ok++
		case 429:
			limited++
		default:
			t.Fatalf("burst: %d", status)
		}
	}
	if limited == 0 || ok > chatBurst+1 {
		t.Fatalf("burst of %d: %d accepted, %d limited", 3*chatBurst, ok, limited)
	}
}

// sse reads server-sent events.
type sse struct {
	r    *bufio.Reader
	resp *http.Response
}

func (v *visitor) events(ctx context.Context) *sse {
	v.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, v.ts.srv.URL+"/chat/events", nil)
	c := *v.client
	c.Timeout = 0
	resp, err := c.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		v.t.Fatalf("GET /chat/events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sse{r: bufio.NewReader(resp.Body), resp: resp}
}

// next returns the next event's name and data.
func (s *sse) next() (string, string, error) {
	var name, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && (name != "" || data != ""):
			return name, data, nil
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func (s *sse) expect(t *testing.T, name string) string {
	t.Helper()
	n, d, err := s.next()
	if err != nil || n != name {
		t.Fatalf("event %q %s (%v), want %q", n, d, err, name)
	}
	return d
}

func TestChatEventsLive(t *testing.T) {
	ts := newTestServer(t, testSecrets)
	v := ts.newVisitor()
	id := v.open()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev := v.events(ctx)
	defer ev.resp.Body.Close()
	if d := ev.expect(t, "state"); d != `{"known":false}` {
		t.Fatalf("state %s", d)
	}
	if status, resp := v.send(msgJSON("m1", "<b>hi</b>")); status != 200 {
		t.Fatalf("send: %d %s", status, resp)
	}
	ev.expect(t, "state") // known now
	var m chatMsgJSON
	json.Unmarshal([]byte(ev.expect(t, "message")), &m)
	if m.Direction != "in" || m.Text != "<b>hi</b>" || m.ClientID != "m1" {
		t.Fatalf("own message %+v", m)
	}
	// An agent replies in the inbox: the page hears it at once.
	tk := ts.contactOf(id).Messages[0].TicketID
	if _, err := ts.a.Reply(context.Background(), "ann", tk, "Hello! Let me check."); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(ev.expect(t, "message")), &m)
	if m.Direction != "out" || m.Text != "Hello! Let me check." || m.Author != "ann" {
		t.Fatalf("reply %+v", m)
	}
	// Another visitor's traffic does not reach this stream.
	other := ts.newVisitor()
	other.open()
	other.send(msgJSON("o1", "not for you"))
	ts.a.Reply(context.Background(), "ann", tk, "Found it.")
	json.Unmarshal([]byte(ev.expect(t, "message")), &m)
	if m.Text != "Found it." {
		t.Fatalf("got %+v", m)
	}
	// A reconnecting page gets the history, then live messages.
	ev2 := v.events(ctx)
	defer ev2.resp.Body.Close()
	ev2.expect(t, "state")
	for range 3 {
		ev2.expect(t, "message")
	}
	// Streams per visitor are capped.
	var extra []*sse
	for range maxStreamsVisitor - 2 {
		extra = append(extra, v.events(ctx))
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.srv.URL+"/chat/events", nil)
	resp, err := v.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream %d: %d", maxStreamsVisitor+1, resp.StatusCode)
	}
	for _, e := range extra {
		e.resp.Body.Close()
	}
	// No cookie, no stream.
	if status, _ := ts.do(mustGet(ts.srv.URL + "/chat/events")); status != http.StatusForbidden {
		t.Fatalf("events without a cookie: %d", status)
	}
}

func TestAcceptLanguage(t *testing.T) {
	for _, c := range []struct{ h, country, lang string }{
		{"de-DE,de;q=0.9", "DE", "de-DE"},
		{"pt-BR", "BR", "pt-BR"},
		{"en", "", "en"},
		{"", "", ""},
		{"*", "", ""},
		{"xx-??", "", ""},
	} {
		country, lang := fromAcceptLanguage(c.h)
		if country != c.country || lang != c.lang {
			t.Errorf("%q → %q %q, want %q %q", c.h, country, lang, c.country, c.lang)
		}
	}
}

// TestChatStreamsEndOnShutdown: a graceful shutdown must not wait for open
// chat pages.
func TestChatStreamsEndOnShutdown(t *testing.T) {
	a, err := app.Open(t.TempDir() + "/s.db")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h, err := NewHTTPHandler(a, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ts := &testServer{t: t, a: a, srv: srv}
	v := ts.newVisitor()
	v.open()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev := v.events(ctx)
	defer ev.resp.Body.Close()
	ev.expect(t, "state")
	h.(interface{ CloseStreams() }).CloseStreams()
	if _, _, err := ev.next(); err == nil || ctx.Err() != nil {
		t.Fatalf("stream still open after CloseStreams (%v, %v)", err, ctx.Err())
	}
	if status, _ := ts.do(withCookie(mustGet(srv.URL+"/chat/events"), v.id())); status != http.StatusServiceUnavailable {
		t.Fatalf("new stream after shutdown: %d", status)
	}
}

func withCookie(req *http.Request, visitor string) *http.Request {
	req.AddCookie(&http.Cookie{Name: VisitorCookie, Value: visitor})
	return req
}
