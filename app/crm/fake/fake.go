// Package fake imitates the three CRMs' REST APIs closely enough to sync
// against: the token endpoint, the contact upserts, updates and merges, the
// checks connect makes, the vendors' error bodies, rate-limit headers and
// answers. It checks each request's method, path, headers and body the way
// the vendor documents them, answers a wrong one with the vendor's error,
// and records it as a violation, so tests can assert the adapters never
// send one. On request it injects faults — 429s (Salesforce: its 403
// REQUEST_LIMIT_EXCEEDED), 500s, 401s and timeouts, a timeout sometimes
// after the change was applied — to prove the sync neither loses nor
// doubles a contact. The tests use it, and `cxinbox crm fake` serves it
// for a demo without a CRM account.
package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"cxinbox/app/crm"
)

// The credentials every fake accepts. They are not secrets.
const (
	ClientID     = "fake-client-id"
	ClientSecret = "fake-client-secret"
	RefreshToken = "fake-refresh-token"
	PrivateToken = "pat-na1-fake0000-0000-0000-0000-000000000000"
)

// Fault is a kind of injected failure.
type Fault string

// The faults.
const (
	FaultRateLimit Fault = "rate-limit"   // 429 (Salesforce: 403 REQUEST_LIMIT_EXCEEDED)
	FaultServer    Fault = "server-error" // 500
	FaultAuth      Fault = "unauthorized" // 401; the access token presented is revoked
	FaultTimeout   Fault = "timeout"      // no answer until the client gives up; half of them after applying the change
)

// AllFaults is every kind of fault.
var AllFaults = []Fault{FaultRateLimit, FaultServer, FaultAuth, FaultTimeout}

// Options tune a fake.
type Options struct {
	FaultRate float64 // share of calls answered with a fault (0..1)
	Faults    []Fault // kinds to draw from (default: all)
	Seed      uint64
	// RetryAfter, when positive, is sent as Retry-After (seconds) on the
	// injected 429s; HubSpot does not promise the header, so it is off by
	// default and the client must use the rate-limit headers.
	RetryAfter int
	// HubSpot's rolling rate limit: RateMax calls per RateWindow (defaults
	// 190 per 10s, a Professional private app), in X-HubSpot-RateLimit-*.
	RateMax    int
	RateWindow time.Duration
	TokenTTL   time.Duration // access-token lifetime (default: the vendor's)
	Latency    time.Duration // added to every answer
	Hang       time.Duration // longest a timeout holds a request (default 30s)
	Log        io.Writer     // one line per request, if set
}

// Record is one contact in the fake CRM, with the vendor's field names.
type Record struct {
	ID      string            `json:"id"`
	Fields  map[string]string `json:"fields"`
	Created time.Time         `json:"created"`
	Updated time.Time         `json:"updated"`
}

// Call is one request the fake answered.
type Call struct {
	Method, Path string
	Status       int
	Fault        Fault
}

// Server is a fake CRM; it is an http.Handler.
type Server struct {
	p   crm.Provider
	opt Options

	mu         sync.Mutex
	rng        *rand.Rand
	url        string
	tokens     map[string]time.Time // access token → expiry
	records    map[string]*Record
	order      []string
	index      map[string]map[string]string // field → value → record id (unique fields)
	nextID     int
	props      map[string]bool // HubSpot custom properties that exist → has unique values
	optOut     map[string]bool // HubSpot: emails unsubscribed from all email
	calls      []Call
	violations []string
	window     []time.Time // HubSpot rate-limit window
	apiCalls   int
	forced     []Fault
	closed     chan struct{}
	closeOnce  sync.Once
}

// New returns a fake of provider p.
func New(p crm.Provider, opt Options) *Server {
	if len(opt.Faults) == 0 {
		opt.Faults = AllFaults
	}
	if opt.RateMax <= 0 {
		opt.RateMax = 190
	}
	if opt.RateWindow <= 0 {
		opt.RateWindow = 10 * time.Second
	}
	if opt.Hang <= 0 {
		opt.Hang = 30 * time.Second
	}
	if opt.TokenTTL <= 0 {
		opt.TokenTTL = map[crm.Provider]time.Duration{crm.HubSpot: 30 * time.Minute, crm.Salesforce: 2 * time.Hour, crm.Zoho: time.Hour}[p]
	}
	s := &Server{p: p, opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, 0x5eed)),
		tokens: map[string]time.Time{}, records: map[string]*Record{}, index: map[string]map[string]string{},
		props: map[string]bool{}, optOut: map[string]bool{}, closed: make(chan struct{})}
	return s
}

// Provider is the vendor this fake imitates.
func (s *Server) Provider() crm.Provider { return s.p }

// SetURL tells the fake its own address (Salesforce's instance_url and
// Zoho's api_domain point back at it).
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	s.url = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// Start serves the fake on a random local port (httptest) and returns it.
func Start(p crm.Provider, opt Options) (*Server, *httptest.Server) {
	s := New(p, opt)
	hs := httptest.NewServer(s)
	s.SetURL(hs.URL)
	return s, hs
}

// Listen serves the fake on addr until the listener fails.
func (s *Server) Listen(addr string) (net.Listener, *http.Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	s.SetURL("http://" + l.Addr().String())
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return l, hs, nil
}

// Close ends the requests a timeout fault is holding.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

// SetFaultRate changes the share of faulty answers.
func (s *Server) SetFaultRate(r float64) {
	s.mu.Lock()
	s.opt.FaultRate = r
	s.mu.Unlock()
}

// FailNext makes the next API calls fail with these faults, in order.
func (s *Server) FailNext(f ...Fault) {
	s.mu.Lock()
	s.forced = append(s.forced, f...)
	s.mu.Unlock()
}

// ExpireTokens revokes every access token issued so far.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Records returns the live records, oldest first.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.order))
	for _, id := range s.order {
		r, ok := s.records[id]
		if !ok {
			continue
		}
		c := *r
		c.Fields = make(map[string]string, len(r.Fields)+1)
		for k, v := range r.Fields {
			c.Fields[k] = v
		}
		if s.p == crm.HubSpot {
			c.Fields["hs_email_optout"] = fmt.Sprint(s.optOut[r.Fields["email"]])
		}
		out = append(out, c)
	}
	return out
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Violations returns the requests that broke the vendor's documented shape.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// violation records a malformed request (s.mu held).
func (s *Server) violation(r *http.Request, format string, args ...any) {
	s.violations = append(s.violations, r.Method+" "+r.URL.Path+": "+fmt.Sprintf(format, args...))
}

func (s *Server) pickFault(token bool) Fault {
	if len(s.forced) > 0 && !token {
		f := s.forced[0]
		s.forced = s.forced[1:]
		return f
	}
	if s.opt.FaultRate <= 0 || s.rng.Float64() >= s.opt.FaultRate {
		return ""
	}
	f := s.opt.Faults[s.rng.IntN(len(s.opt.Faults))]
	if token && (f == FaultAuth || f == FaultRateLimit) {
		return FaultServer // the token endpoint fails in the plainer ways
	}
	return f
}

// tokenPath is the vendor's OAuth token endpoint.
func (s *Server) tokenPath(path string) bool {
	switch s.p {
	case crm.HubSpot:
		return path == "/oauth/v3/token" || path == "/oauth/v1/token"
	case crm.Salesforce:
		return path == "/services/oauth2/token"
	}
	return path == "/oauth/v2/token"
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_fake/") {
		s.serveInspect(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		s.log(r, 0, "") // the client went away mid-request (killed): nothing arrived
		return
	}
	isToken := s.tokenPath(r.URL.Path)
	s.mu.Lock()
	fault := s.pickFault(isToken)
	if !isToken {
		s.apiCalls++
	}
	s.mu.Unlock()
	if s.opt.Latency > 0 {
		time.Sleep(s.opt.Latency)
	}
	rec := httptest.NewRecorder()
	after := false
	switch fault {
	case "":
	case FaultTimeout:
		s.mu.Lock()
		after = s.rng.IntN(2) == 0
		s.mu.Unlock()
		if after {
			s.route(rec, r, body, isToken) // applied, but the answer never arrives
		}
		s.log(r, 0, fault)
		s.hang(r)
		return
	default:
		s.faultAnswer(rec, r, fault)
		s.copy(w, rec)
		s.log(r, rec.Code, fault)
		return
	}
	s.route(rec, r, body, isToken)
	s.copy(w, rec)
	s.log(r, rec.Code, "")
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte, isToken bool) {
	if isToken {
		s.serveToken(w, r, body)
		return
	}
	switch s.p {
	case crm.HubSpot:
		s.hubspot(w, r, body)
	case crm.Salesforce:
		s.salesforce(w, r, body)
	case crm.Zoho:
		s.zoho(w, r, body)
	}
}

func (s *Server) copy(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	code := rec.Code
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	w.Write(rec.Body.Bytes())
}

// hang holds a request until the client gives up (or the fake closes).
func (s *Server) hang(r *http.Request) {
	t := time.NewTimer(s.opt.Hang)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-s.closed:
	case <-t.C:
	}
}

func (s *Server) log(r *http.Request, status int, f Fault) {
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Status: status, Fault: f})
	s.mu.Unlock()
	if s.opt.Log == nil {
		return
	}
	what := fmt.Sprint(status)
	if f != "" {
		what += " (injected " + string(f) + ")"
		if status == 0 {
			what = "no answer (injected timeout)"
		}
	}
	fmt.Fprintf(s.opt.Log, "%s %s %s → %s\n", time.Now().Format("15:04:05.000"), r.Method, r.URL.RequestURI(), what)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// faultAnswer writes the vendor's answer for an injected fault.
func (s *Server) faultAnswer(w http.ResponseWriter, r *http.Request, f Fault) {
	switch f {
	case FaultAuth:
		s.mu.Lock()
		delete(s.tokens, bearer(r, s.scheme())) // the token is revoked for real
		s.mu.Unlock()
		s.unauthorized(w, true)
	case FaultServer:
		switch s.p {
		case crm.HubSpot:
			writeJSON(w, http.StatusInternalServerError, map[string]string{"status": "error", "message": "internal error", "correlationId": s.correlation(), "category": "INTERNAL_ERROR"})
		case crm.Salesforce:
			writeJSON(w, http.StatusInternalServerError, []map[string]string{{"message": "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)", "errorCode": "UNKNOWN_EXCEPTION"}})
		default:
			writeJSON(w, http.StatusInternalServerError, map[string]any{"code": "INTERNAL_ERROR", "details": map[string]any{}, "message": "Internal Server Error", "status": "error"})
		}
	case FaultRateLimit:
		if s.opt.RetryAfter > 0 && s.p != crm.Salesforce {
			w.Header().Set("Retry-After", fmt.Sprint(s.opt.RetryAfter))
		}
		switch s.p {
		case crm.HubSpot:
			s.rateHeaders(w, 0)
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
				"errorType": "RATE_LIMIT", "correlationId": s.correlation(), "policyName": "TEN_SECONDLY_ROLLING", "groupName": "publicapi"})
		case crm.Salesforce:
			// Salesforce never answers 429: its cap is a 403.
			w.Header().Set("Sforce-Limit-Info", "api-usage=15000/15000")
			writeJSON(w, http.StatusForbidden, []map[string]string{{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}})
		default:
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": "TOO_MANY_REQUESTS", "details": map[string]any{},
				"message": "API call limit exceeded. Try again after some time.", "status": "error"})
		}
	}
}

func (s *Server) scheme() string {
	if s.p == crm.Zoho {
		return "Zoho-oauthtoken"
	}
	return "Bearer"
}

// bearer returns the token of an Authorization header with the scheme.
func bearer(r *http.Request, scheme string) string {
	h := r.Header.Get("Authorization")
	if v, ok := strings.CutPrefix(h, scheme+" "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// authorized checks the request's token; a wrong one gets the vendor's 401.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok := bearer(r, s.scheme())
	s.mu.Lock()
	if tok == "" {
		s.violation(r, "Authorization header %q: want %q", redact(h), s.scheme()+" <token>")
	}
	exp, known := s.tokens[tok]
	ok := known && time.Now().Before(exp) || s.p == crm.HubSpot && tok == PrivateToken
	s.mu.Unlock()
	if !ok {
		s.unauthorized(w, known)
	}
	return ok
}

func redact(h string) string {
	if i := strings.IndexByte(h, ' '); i > 0 {
		return h[:i] + " …"
	}
	if h != "" {
		return "…"
	}
	return ""
}

func (s *Server) unauthorized(w http.ResponseWriter, expired bool) {
	switch s.p {
	case crm.HubSpot:
		cat, msg := "INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
		if expired {
			cat, msg = "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired."
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"status": "error", "message": msg, "correlationId": s.correlation(), "category": cat})
	case crm.Salesforce:
		writeJSON(w, http.StatusUnauthorized, []map[string]string{{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}})
	default:
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "INVALID_TOKEN", "details": map[string]any{}, "message": "invalid oauth token", "status": "error"})
	}
}

func (s *Server) correlation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", s.rng.Uint32(), s.rng.IntN(1<<16), s.rng.IntN(1<<12), s.rng.IntN(1<<12), s.rng.Uint64()&(1<<48-1))
}

// serveToken is the OAuth 2.0 refresh-token grant, each vendor's way.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		s.mu.Lock()
		s.violation(r, "token endpoint wants POST")
		s.mu.Unlock()
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	form := r.URL.Query() // Zoho documents the parameters in the query string too
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if f, err := parseForm(body); err == nil {
			for k, v := range f {
				form[k] = v
			}
		}
	} else if s.p != crm.Zoho || len(body) > 0 {
		s.mu.Lock()
		s.violation(r, "token request Content-Type %q: want application/x-www-form-urlencoded", ct)
		s.mu.Unlock()
	}
	bad := ""
	switch {
	case form.Get("grant_type") != "refresh_token":
		bad = "grant"
	case form.Get("client_id") != ClientID || form.Get("client_secret") != ClientSecret:
		bad = "client"
	case form.Get("refresh_token") != RefreshToken:
		bad = "refresh"
	}
	if bad != "" {
		switch s.p {
		case crm.HubSpot:
			status := map[string]string{"grant": "BAD_GRANT_TYPE", "client": "BAD_CLIENT_ID", "refresh": "BAD_REFRESH_TOKEN"}[bad]
			writeJSON(w, http.StatusBadRequest, map[string]string{"status": status, "message": "missing or unknown " + map[string]string{"grant": "grant type", "client": "client id or secret", "refresh": "refresh token"}[bad], "correlationId": s.correlation()})
		case crm.Salesforce:
			code := map[string]string{"grant": "unsupported_grant_type", "client": "invalid_client_id", "refresh": "invalid_grant"}[bad]
			desc := map[string]string{"grant": "grant type not supported", "client": "client identifier invalid", "refresh": "expired access/refresh token"}[bad]
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
		default:
			// Zoho: HTTP 200 with the error in the body.
			writeJSON(w, http.StatusOK, map[string]string{"error": map[string]string{"grant": "unsupported_grant_type", "client": "invalid_client", "refresh": "invalid_code"}[bad]})
		}
		return
	}
	s.mu.Lock()
	tok := fmt.Sprintf("%s-%016x%016x", map[crm.Provider]string{crm.HubSpot: "CJS", crm.Salesforce: "00Dfake!AQ", crm.Zoho: "1000.fake"}[s.p], s.rng.Uint64(), s.rng.Uint64())
	s.tokens[tok] = time.Now().Add(s.opt.TokenTTL)
	self := s.url
	s.mu.Unlock()
	switch s.p {
	case crm.HubSpot:
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "bearer", "refresh_token": RefreshToken, "access_token": tok, "expires_in": int(s.opt.TokenTTL / time.Second)})
	case crm.Salesforce:
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "instance_url": self, "id": self + "/id/00Dfake000000001EAA/005fake000000001AAA",
			"token_type": "Bearer", "issued_at": fmt.Sprint(time.Now().UnixMilli()), "signature": "ZmFrZSBzaWduYXR1cmU="})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "api_domain": self, "token_type": "Bearer", "expires_in": int(s.opt.TokenTTL / time.Second)})
	}
}

func parseForm(body []byte) (map[string][]string, error) {
	req, err := http.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := req.ParseForm(); err != nil {
		return nil, err
	}
	return req.PostForm, nil
}

// ---- records (s.mu held) ----

func (s *Server) newID() string {
	s.nextID++
	switch s.p {
	case crm.HubSpot:
		return fmt.Sprint(100000 + s.nextID)
	case crm.Salesforce:
		return fmt.Sprintf("003Fk%010dQAA", s.nextID)
	}
	return fmt.Sprintf("5725767%012d", s.nextID)
}

// uniqueFields are the fields indexed for lookups and uniqueness.
func (s *Server) uniqueFields() []string {
	switch s.p {
	case crm.HubSpot:
		return []string{"email", crm.HubSpotIDProperty}
	case crm.Salesforce:
		return []string{crm.SalesforceIDField}
	}
	return []string{"Email", crm.ZohoIDField}
}

func (s *Server) lookup(field, value string) *Record {
	if value == "" {
		return nil
	}
	if id, ok := s.index[field][fold(field, value)]; ok {
		return s.records[id]
	}
	return nil
}

func fold(field, v string) string {
	if strings.EqualFold(field, "email") {
		return strings.ToLower(v)
	}
	return v
}

func (s *Server) create(fields map[string]string) *Record {
	now := time.Now().UTC()
	r := &Record{ID: s.newID(), Fields: map[string]string{}, Created: now, Updated: now}
	s.records[r.ID] = r
	s.order = append(s.order, r.ID)
	s.set(r, fields)
	return r
}

// set writes fields into r, keeping the unique indexes.
func (s *Server) set(r *Record, fields map[string]string) {
	for _, f := range s.uniqueFields() {
		v, ok := fields[f]
		if !ok {
			continue
		}
		if old := r.Fields[f]; old != "" {
			delete(s.index[f], fold(f, old))
		}
		if v != "" {
			if s.index[f] == nil {
				s.index[f] = map[string]string{}
			}
			s.index[f][fold(f, v)] = r.ID
		}
	}
	for k, v := range fields {
		if strings.EqualFold(k, "email") {
			v = strings.ToLower(v)
		}
		r.Fields[k] = v
	}
	r.Updated = time.Now().UTC()
}

func (s *Server) remove(id string) {
	r, ok := s.records[id]
	if !ok {
		return
	}
	for _, f := range s.uniqueFields() {
		if v := r.Fields[f]; v != "" && s.index[f][fold(f, v)] == id {
			delete(s.index[f], fold(f, v))
		}
	}
	delete(s.records, id)
}

// mergeInto folds child into master: master's values win, its blanks take
// the child's; the child is deleted.
func (s *Server) mergeInto(master, child *Record) {
	fill := map[string]string{}
	for k, v := range child.Fields {
		if master.Fields[k] == "" && v != "" {
			fill[k] = v
		}
	}
	s.remove(child.ID)
	s.set(master, fill)
}

// validEmail is the fakes' address check: an @ with text around it, and not
// the reserved .invalid top-level domain (how tests make a CRM refuse one).
func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " ,;<>") && !strings.HasSuffix(strings.ToLower(e), ".invalid")
}

// serveInspect answers GET /_fake/records and /_fake/stats: the fake's own
// window for people watching a demo (not part of any vendor's API).
func (s *Server) serveInspect(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_fake/records":
		recs := s.Records()
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].Created.Before(recs[j].Created) })
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(recs)
	case "/_fake/stats":
		s.mu.Lock()
		st := map[string]any{"provider": s.p, "records": len(s.records), "requests": len(s.calls), "api_calls": s.apiCalls, "violations": s.violations}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, st)
	default:
		http.NotFound(w, r)
	}
}

// decode reads a JSON body into v, recording a violation when it is not
// JSON or not sent as JSON.
func (s *Server) decode(r *http.Request, body []byte, v any) bool {
	ok := true
	s.mu.Lock()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.violation(r, "Content-Type %q: want application/json", ct)
		ok = false
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.violation(r, "body is not the JSON expected: %v", err)
		ok = false
	}
	s.mu.Unlock()
	return ok
}
