// Package crm speaks the REST APIs of the three CRMs cxinbox syncs new
// customers to — HubSpot (CRM v3), Salesforce (REST API) and Zoho CRM (v8):
// OAuth 2.0 refresh-token flows, idempotent upserts, merges, and the
// vendors' error and rate-limit shapes. It knows nothing of the database:
// app/crm.go drives it from the outbox.
package crm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Provider names a CRM vendor.
type Provider string

// The supported CRMs.
const (
	HubSpot    Provider = "hubspot"
	Salesforce Provider = "salesforce"
	Zoho       Provider = "zoho"
)

// Providers lists the supported CRMs.
var Providers = []Provider{HubSpot, Salesforce, Zoho}

// ParseProvider reads a provider name (any case).
func ParseProvider(s string) (Provider, error) {
	p := Provider(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Providers {
		if p == k {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown CRM %q: want hubspot, salesforce or zoho", s)
}

// Label is the vendor's product name.
func (p Provider) Label() string {
	switch p {
	case HubSpot:
		return "HubSpot"
	case Salesforce:
		return "Salesforce"
	case Zoho:
		return "Zoho CRM"
	}
	return string(p)
}

// Field names cxinbox relies on in each CRM. HubSpot's cxinbox_id is a
// contact property with unique values (connect creates it); Salesforce's
// Cxinbox_Id__c is an External ID field and Zoho's Cxinbox_Id a field with
// "Do not allow duplicate values" — both made by an admin beforehand, as
// are the lead-stage fields (Contacts have no standard one there).
const (
	HubSpotIDProperty   = "cxinbox_id"
	SalesforceIDField   = "Cxinbox_Id__c"
	SalesforceStage     = "Cxinbox_Lead_Stage__c"
	SalesforceVersion   = "v62.0"
	ZohoIDField         = "Cxinbox_Id"
	ZohoStageField      = "Cxinbox_Lead_Stage"
	ZohoVersion         = "v8"
	KeyByID             = "id"     // Contact.Key: upsert by our contact id
	keyEmailPrefix      = "email:" // Contact.Key: upsert by this email address
	HubSpotDefaultBase  = "https://api.hubapi.com"
	SalesforceLoginBase = "https://login.salesforce.com"
	ZohoAccountsBase    = "https://accounts.zoho.com"
)

// Batch limits of the vendors' bulk upserts.
const (
	HubSpotBatch    = 100
	SalesforceBatch = 200
	ZohoBatch       = 100
)

// Contact is our side of a CRM record: what a push sends.
type Contact struct {
	ID    int64  // our contact id
	CRMID string // the CRM's record id; "" = not linked yet
	// Key is the upsert key of the contact's first attempt, kept until it is
	// linked: "email:<address>" or "id". See Adapter.KeyOf.
	Key                 string
	FirstName, LastName string
	Email, Phone        string
	Company             string
	LeadStage           string // lead, qualified, opportunity, customer, churned
	Unsubscribed        bool   // no marketing email
}

// EmailKey is the key of an upsert by email address.
func EmailKey(email string) string { return keyEmailPrefix + email }

// keyEmail returns the address of an email key.
func keyEmail(key string) (string, bool) {
	if strings.HasPrefix(key, keyEmailPrefix) {
		return key[len(keyEmailPrefix):], true
	}
	return "", false
}

// SplitName splits a display name into first and last name as CRMs want
// them: the last word is the last name (which Salesforce and Zoho require).
func SplitName(name string) (first, last string) {
	f := strings.Fields(name)
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return "", f[0]
	}
	return strings.Join(f[:len(f)-1], " "), f[len(f)-1]
}

// Outcome is what became of one contact of a push.
type Outcome struct {
	CRMID   string // the record, when Err is nil
	Created bool   // the push created it
	// Again: the record is linked but does not carry all our fields yet (it
	// was found under an older key or named by a conflict): push it again.
	Again bool
	Err   error // nil, or an *Error
}

// Adapter is one CRM's API as the sync needs it.
type Adapter interface {
	Provider() Provider
	// BatchSize is the vendor's limit of records per call; Push splits
	// larger pushes (and pushes by kind of key: a batch of 2×BatchSize mixed
	// contacts fills two calls).
	BatchSize() int
	// KeyOf is the upsert key for a contact's first push: its email address
	// where the vendor matches by email, else our id.
	KeyOf(c Contact) string
	// Push creates or updates the contacts idempotently; outcomes are in
	// input order. A push never creates a second record for a contact, even
	// when an earlier attempt's outcome was lost.
	Push(ctx context.Context, cs []Contact) []Outcome
	// Merge folds the CRM record mergedID into kept's record (or, if kept
	// is not linked yet, makes mergedID kept's record) and returns kept's
	// record id. A merge already carried out succeeds again.
	Merge(ctx context.Context, kept Contact, mergedID string) (string, error)
	// Check verifies the connection and the fields cxinbox relies on.
	Check(ctx context.Context) error
	// Describe says how the adapter reaches the CRM, without secrets.
	Describe() string
}

// Stats counts HTTP requests, for the benchmark and the sync summary.
type Stats struct {
	Requests atomic.Int64 // every HTTP request sent, retries and token refreshes included
	Retries  atomic.Int64
	Refresh  atomic.Int64 // token refreshes
}

// Config is what New needs.
type Config struct {
	Provider Provider
	Credentials
	Store  TokenStore   // persists refreshed tokens; nil keeps them in memory
	HTTP   *http.Client // nil: a client with Policy.Timeout
	Policy Policy
	Stats  *Stats
}

// New returns the adapter for cfg.Provider.
func New(cfg Config) (Adapter, error) {
	cfg.Policy = cfg.Policy.withDefaults()
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: cfg.Policy.Timeout}
	}
	if cfg.APIBase == "" {
		if cfg.Provider != HubSpot {
			return nil, fmt.Errorf("%s: no API base URL (the token response's %s)", cfg.Provider.Label(), map[Provider]string{Salesforce: "instance_url", Zoho: "api_domain"}[cfg.Provider])
		}
		cfg.APIBase = HubSpotDefaultBase
	}
	if err := CheckURL(cfg.APIBase); err != nil {
		return nil, err
	}
	a := &auth{provider: cfg.Provider, creds: cfg.Credentials, hc: cfg.HTTP, store: cfg.Store, stats: cfg.Stats, policy: cfg.Policy}
	c := &client{provider: cfg.Provider, base: strings.TrimRight(cfg.APIBase, "/"), hc: cfg.HTTP, auth: a, policy: cfg.Policy, stats: cfg.Stats}
	switch cfg.Provider {
	case HubSpot:
		return newHubSpot(c), nil
	case Salesforce:
		return newSalesforce(c), nil
	case Zoho:
		return newZoho(c), nil
	}
	return nil, fmt.Errorf("unknown CRM %q", cfg.Provider)
}

// chunks splits idx into parts of at most n.
func chunks(idx []int, n int) [][]int {
	var out [][]int
	for len(idx) > n {
		out = append(out, idx[:n])
		idx = idx[n:]
	}
	if len(idx) > 0 {
		out = append(out, idx)
	}
	return out
}

// CheckURL refuses anything but an absolute http(s) URL.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// Error is a failed CRM call, classified.
type Error struct {
	Provider   Provider
	Status     int    // HTTP status; 0 for network errors
	Code       string // the vendor's error code or category
	Message    string // the vendor's message
	Retryable  bool   // 429, 5xx, timeouts, network, rate caps: try again later
	RetryAfter time.Duration
	Auth       bool // the credentials were refused
	Record     bool // this record was refused (a per-record failure in a 2xx answer)
	Gone       bool // the linked record no longer exists in the CRM
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider.Label())
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	return b.String()
}

// AsError returns err as an *Error, wrapping anything else as a permanent
// one.
func AsError(p Provider, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Provider: p, Message: err.Error()}
}

// Reason is the vendor's message for a person to read ("failed: <reason>").
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		return e.Code
	}
	return err.Error()
}

// pushRound is one request's worth of contacts by how the vendor finds the
// record: linked ones by their record id, the others by email or, without
// one, by our contact id.
type pushRound struct{ byRecord, byEmail, byID []int }

// pushRounds splits the contacts into rounds in which no record is named
// twice: HubSpot refuses such a batch ("Duplicate IDs found in batch
// input"), and Zoho would apply one of the two; two of our contacts sharing
// an email address or a record go in successive rounds.
func pushRounds(cs []Contact) []pushRound {
	todo := make([]int, len(cs))
	for i := range todo {
		todo[i] = i
	}
	var rounds []pushRound
	for len(todo) > 0 {
		seen := map[string]bool{}
		var r pushRound
		var later []int
		for _, i := range todo {
			c := cs[i]
			var k string
			var list *[]int
			if c.CRMID != "" {
				k, list = "r:"+c.CRMID, &r.byRecord
			} else if e, ok := keyEmail(c.Key); ok {
				k, list = "e:"+e, &r.byEmail
			} else {
				k, list = "i:"+strconv.FormatInt(c.ID, 10), &r.byID
			}
			if seen[k] {
				later = append(later, i)
				continue
			}
			seen[k] = true
			*list = append(*list, i)
		}
		rounds = append(rounds, r)
		todo = later
	}
	return rounds
}
