package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"cxinbox/app"
	"cxinbox/app/provider"
	"cxinbox/model"
)

// VisitorCookie holds a web-chat visitor's random id: the visitor's
// identity, per the spec's cookie rules (same cookie, same contact; a new
// browser or a cleared cookie is a new visitor).
const VisitorCookie = "cxinbox_visitor"

// Web-chat limits.
const (
	maxChatBody       = 32 << 10 // one message with its form
	chatBurst         = 10       // messages a visitor may send at once…
	chatRefill        = time.Second
	maxStreamsVisitor = 4    // open event streams per visitor (tabs)
	maxStreams        = 2000 // in all
	streamLifetime    = 10 * time.Minute
	streamHeartbeat   = 20 * time.Second
	historyLimit      = 200 // messages sent when a stream opens
)

//go:embed chat.html chat.js chat.css
var chatFiles embed.FS

// chatCSP keeps the page to its own script and style: no inline script, no
// third-party anything, so injected text could not run even if it were
// ever put into markup (the script only ever sets textContent).
const chatCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"

// newVisitorID is "v_" and 22 characters of base64url: 128 random bits.
func newVisitorID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "v_" + base64.RawURLEncoding.EncodeToString(b)
}

// validVisitorID accepts what a cookie can carry unquoted and an identity
// can hold: 1–128 of [A-Za-z0-9._~-].
func validVisitorID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// visitorOf returns the request's visitor id, or "" when it has no valid cookie.
func visitorOf(r *http.Request) string {
	c, err := r.Cookie(VisitorCookie)
	if err != nil || !validVisitorID(c.Value) {
		return ""
	}
	return c.Value
}

// chatPage serves the page and gives a new visitor its cookie (two years,
// HttpOnly: the page's script never sees it).
func (s *server) chatPage(w http.ResponseWriter, r *http.Request) {
	if visitorOf(r) == "" {
		http.SetCookie(w, &http.Cookie{Name: VisitorCookie, Value: newVisitorID(), Path: "/", MaxAge: 2 * 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https:")})
	}
	b, _ := chatFiles.ReadFile("chat.html")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", chatCSP)
	h.Set("Cache-Control", "no-store")
	w.Write(b)
}

func (s *server) chatAsset(name, ctype string) http.HandlerFunc {
	b, _ := chatFiles.ReadFile(name)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// sameOrigin refuses requests another site's page made the browser send:
// a JSON body (a cross-site form cannot send one without a CORS preflight,
// which this server never grants), and Origin / Sec-Fetch-Site, when the
// browser gives them, naming this site.
func sameOrigin(r *http.Request) (bool, string) {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false, "cross-origin request refused (Origin " + strconv.Quote(o) + ")"
		}
	}
	if sf := r.Header.Get("Sec-Fetch-Site"); sf != "" && sf != "same-origin" && sf != "none" {
		return false, "cross-site request refused (Sec-Fetch-Site " + sf + ")"
	}
	return true, ""
}

// chatMessage takes one visitor message: our web-chat JSON
// ({"message_id","text","started_by","prechat","country","timezone",
// "language","sent_at"}), the visitor id taken from the cookie. What the
// page does not say is filled in here: started_by "visitor", sent_at the
// server's clock (so a wrong clock in the browser cannot misorder the
// conversation), country and language from Accept-Language. Browser hints
// that fail validation are dropped; a bad pre-chat field is a 400 naming it.
func (s *server) chatMessage(w http.ResponseWriter, r *http.Request) {
	if ok, why := sameOrigin(r); !ok {
		fail(w, http.StatusForbidden, "%s", why)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, "send the message as application/json")
		return
	}
	visitor := visitorOf(r)
	if visitor == "" {
		fail(w, http.StatusForbidden, "no visitor cookie: open /chat first")
		return
	}
	body, status, err := readBody(w, r, maxChatBody)
	if err != nil {
		fail(w, status, "message: %v", err)
		return
	}
	if wait := s.chat.allow(visitor, time.Now()); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		fail(w, http.StatusTooManyRequests, "too many messages: wait a moment and send again")
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		fail(w, http.StatusBadRequest, "message is not a JSON object")
		return
	}
	if raw, ok := m["visitor_id"]; ok {
		var v string
		if json.Unmarshal(raw, &v) != nil || v != visitor {
			fail(w, http.StatusForbidden, "visitor_id does not match the visitor cookie")
			return
		}
	}
	set := func(k, v string) { m[k], _ = json.Marshal(v) }
	set("visitor_id", visitor)
	if str(m["started_by"]) == "" {
		set("started_by", string(model.StartedByVisitor))
	}
	if str(m["sent_at"]) == "" {
		set("sent_at", time.Now().UTC().Format(time.RFC3339Nano))
	}
	country, lang := fromAcceptLanguage(r.Header.Get("Accept-Language"))
	for _, f := range []struct{ key, fallback string }{{"country", country}, {"language", lang}, {"timezone", ""}} {
		v := str(m[f.key])
		if v != "" {
			if _, err := model.NormalizeField(f.key, v); err != nil {
				v = "" // a browser hint we cannot use; the contact simply lacks it
			}
		}
		if v == "" {
			v = f.fallback
		}
		if v == "" {
			delete(m, f.key)
		} else {
			set(f.key, v)
		}
	}
	b, _ := json.Marshal(m)
	msgs, err := provider.ParseWebChat(b)
	if err != nil {
		fail(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "webchat: "))
		return
	}
	res, err := s.ingest(r.Context(), msgs)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		fail(w, http.StatusServiceUnavailable, "message not stored, send it again: %v", err)
		return
	}
	s.chat.poke(visitor)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		MessageID string `json:"message_id"`
		Duplicate bool   `json:"duplicate"`
	}{msgs[0].MessageID, res.Duplicates > 0})
}

// str is a JSON string's value, or "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// fromAcceptLanguage takes the visitor's first language and, when that tag
// names one (en-GB, pt-BR), its country.
func fromAcceptLanguage(h string) (country, lang string) {
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return "", ""
	}
	t := tags[0]
	if t == language.Und || t.String() == "mul" { // "*": any language
		return "", ""
	}
	if reg, conf := t.Region(); conf == language.Exact {
		country = reg.String()
	}
	if _, err := model.NormalizeField("country", country); err != nil {
		country = ""
	}
	lang = t.String()
	if _, err := model.NormalizeField("language", lang); err != nil {
		lang = ""
	}
	return country, lang
}

// chatMsgJSON is one message as the page shows it.
type chatMsgJSON struct {
	ID        int64  `json:"id"`
	Direction string `json:"direction"` // "in": the visitor's; "out": an agent's reply
	Author    string `json:"author"`
	Text      string `json:"text"`
	SentAt    string `json:"sent_at"`
	ClientID  string `json:"client_id,omitempty"` // the page's message_id, for the visitor's own messages
}

// chatEvents streams the visitor's conversation as server-sent events:
// "state" ({"known"}: whether the visitor has written before, so the page
// knows whether to offer the pre-chat form), then every message once, as
// "message" events, the history first and then each new one as it commits.
// The stream ends after a while; EventSource reconnects on its own.
func (s *server) chatEvents(w http.ResponseWriter, r *http.Request) {
	visitor := visitorOf(r)
	if visitor == "" {
		fail(w, http.StatusForbidden, "no visitor cookie: open /chat first")
		return
	}
	st, err := s.chat.open(visitor)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		status := http.StatusTooManyRequests
		if err == errShuttingDown {
			status = http.StatusServiceUnavailable
		}
		fail(w, status, "%v", err)
		return
	}
	defer s.chat.close(st)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithTimeout(r.Context(), streamLifetime)
	defer cancel()
	sent := map[int64]bool{}
	known := -1
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	var buf bytes.Buffer
	for {
		vc, err := s.a.VisitorConversation(ctx, visitor, historyLimit)
		if err != nil {
			return
		}
		s.chat.learn(st, vc.ContactID)
		buf.Reset()
		if k := boolInt(vc.ContactID != 0); k != known {
			known = k
			fmt.Fprintf(&buf, "event: state\ndata: {\"known\":%t}\n\n", k == 1)
		}
		for _, m := range vc.Messages {
			if sent[m.ID] {
				continue
			}
			sent[m.ID] = true
			b, _ := json.Marshal(toChatMsg(m))
			fmt.Fprintf(&buf, "event: message\nid: %d\ndata: %s\n\n", m.ID, b)
		}
		if buf.Len() > 0 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.chat.closing:
			return
		case <-st.poke:
		case <-heartbeat.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func toChatMsg(m model.Message) chatMsgJSON {
	j := chatMsgJSON{ID: m.ID, Direction: string(m.Direction), Author: m.Author, Text: m.Body, SentAt: m.SentAt.UTC().Format(time.RFC3339)}
	if m.Direction == model.In {
		j.Author = ""
		j.ClientID = strings.TrimPrefix(m.ExternalID, string(model.WebChat)+":")
	}
	return j
}

// chatHub tells open event streams that their visitor's conversation
// changed. While any stream is open it holds one subscription to the app's
// change notifications and wakes only the streams of the contacts a change
// names (all of them for a change from another process, which names none).
type chatHub struct {
	a *app.App

	mu        sync.Mutex
	byVisitor map[string]map[*chatStream]bool
	byContact map[int64]map[*chatStream]bool
	n         int
	unsub     func()
	buckets   map[string]*bucket
	closing   chan struct{} // closed by shutdown: streams end, new ones are refused
	closed    bool
}

type chatStream struct {
	visitor string
	contact int64
	poke    chan struct{}
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newChatHub(a *app.App) *chatHub {
	return &chatHub{a: a, byVisitor: map[string]map[*chatStream]bool{}, byContact: map[int64]map[*chatStream]bool{},
		buckets: map[string]*bucket{}, closing: make(chan struct{})}
}

// shutdown ends every event stream, so a graceful server shutdown does not
// wait for chat pages that would stay open for hours.
func (h *chatHub) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
}

// allow spends one of the visitor's message tokens (chatBurst at most,
// one back every chatRefill); when none is left it returns the wait.
func (h *chatHub) allow(visitor string, now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.buckets[visitor]
	if b == nil {
		if len(h.buckets) >= 100_000 { // forget visitors whose buckets are full again
			for k, o := range h.buckets {
				if now.Sub(o.at) >= chatBurst*chatRefill {
					delete(h.buckets, k)
				}
			}
		}
		b = &bucket{tokens: chatBurst, at: now}
		h.buckets[visitor] = b
	}
	b.tokens = min(chatBurst, b.tokens+float64(now.Sub(b.at))/float64(chatRefill))
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(chatRefill))
	}
	b.tokens--
	return 0
}

var (
	errTooManyStreams = errors.New("too many open chat windows: close one and reload")
	errShuttingDown   = errors.New("the server is shutting down: the page reconnects by itself")
)

func (h *chatHub) open(visitor string) (*chatStream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errShuttingDown
	}
	if len(h.byVisitor[visitor]) >= maxStreamsVisitor || h.n >= maxStreams {
		return nil, errTooManyStreams
	}
	st := &chatStream{visitor: visitor, poke: make(chan struct{}, 1)}
	if h.byVisitor[visitor] == nil {
		h.byVisitor[visitor] = map[*chatStream]bool{}
	}
	h.byVisitor[visitor][st] = true
	h.n++
	if h.n == 1 {
		changes, unsub := h.a.Subscribe()
		h.unsub = unsub
		go h.dispatch(changes)
	}
	return st, nil
}

func (h *chatHub) close(st *chatStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.byVisitor[st.visitor], st)
	if len(h.byVisitor[st.visitor]) == 0 {
		delete(h.byVisitor, st.visitor)
	}
	h.setContact(st, 0)
	h.n--
	if h.n == 0 {
		h.unsub() // closes the channel, which ends dispatch
		h.unsub = nil
	}
}

// learn records which contact a stream's visitor is (it changes once, when
// the first message creates the contact, or when a merge moves the cookie).
func (h *chatHub) learn(st *chatStream, contact int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.setContact(st, contact)
}

func (h *chatHub) setContact(st *chatStream, contact int64) {
	if st.contact == contact {
		return
	}
	if old := h.byContact[st.contact]; old != nil {
		delete(old, st)
		if len(old) == 0 {
			delete(h.byContact, st.contact)
		}
	}
	st.contact = contact
	if contact != 0 {
		if h.byContact[contact] == nil {
			h.byContact[contact] = map[*chatStream]bool{}
		}
		h.byContact[contact][st] = true
	}
}

// poke wakes a visitor's streams (their own message just committed).
func (h *chatHub) poke(visitor string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for st := range h.byVisitor[visitor] {
		wake(st)
	}
}

func wake(st *chatStream) {
	select {
	case st.poke <- struct{}{}:
	default: // already due to reload
	}
}

func (h *chatHub) dispatch(changes <-chan app.Change) {
	for c := range changes {
		h.mu.Lock()
		if c.Source == "external" || len(c.ContactIDs) == 0 {
			for _, sts := range h.byVisitor {
				for st := range sts {
					wake(st)
				}
			}
		} else {
			for _, id := range c.ContactIDs {
				for st := range h.byContact[id] {
					wake(st)
				}
			}
		}
		h.mu.Unlock()
	}
}
